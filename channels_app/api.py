"""Chat channels REST API (API.md "Chat channels")."""

from asgiref.sync import async_to_sync
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import UserRefSerializer
from channels_app import selectors, services
from channels_app.throttles import ChannelPasswordThrottle
from chat import selectors as chat_selectors
from chat import services as chat_services
from config.fields import SeqField, StrictCharField
from config.limits import DB_INTEGER_MAX
from config.pagination import ResultsPagination, page_schema


class ChannelOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    is_private = serializers.BooleanField()
    owner = UserRefSerializer()
    member_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class MyChannelOutputSerializer(ChannelOutputSerializer):
    last_seq = serializers.IntegerField()
    unread_count = serializers.IntegerField()


class MessageOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    channel = serializers.IntegerField()
    seq = serializers.IntegerField()
    sender = UserRefSerializer()
    body = serializers.CharField()
    client_msg_id = serializers.CharField()
    created_at = serializers.DateTimeField()


def _channel_body(channel_id: int) -> dict:
    return ChannelOutputSerializer(selectors.channel_with_member_count(channel_id=channel_id)).data


class ChannelListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = StrictCharField(max_length=100)
        description = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")
        password = StrictCharField(max_length=128, required=False, allow_blank=True, trim_whitespace=False)

    class SearchSerializer(serializers.Serializer):
        # A CharField also refuses NUL characters, which PostgreSQL cannot compare.
        search = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
        # Read by ResultsPagination; declared here so they are bounded and documented.
        page = serializers.IntegerField(required=False, min_value=1, max_value=DB_INTEGER_MAX)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=ResultsPagination.max_page_size)

    @extend_schema(
        parameters=[SearchSerializer],
        responses={200: page_schema(ChannelOutputSerializer, name="ChannelPage")},
    )
    def get(self, request):
        query = self.SearchSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        channels = selectors.channel_list_public(search=query.validated_data["search"])
        paginator = ResultsPagination()
        page = paginator.paginate_queryset(channels, request, view=self)
        return paginator.get_paginated_response(ChannelOutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ChannelOutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        channel = services.channel_create(owner=request.user, **serializer.validated_data)
        return Response(_channel_body(channel.pk), status=status.HTTP_201_CREATED)


class ChannelMineApi(APIView):
    @extend_schema(responses={200: MyChannelOutputSerializer(many=True)})
    def get(self, request):
        rows = selectors.channel_list_for_user(user=request.user)
        last_seqs = chat_selectors.channels_last_seq([channel.pk for channel, _ in rows])
        body = []
        for channel, last_read in rows:
            channel.last_seq = last_seqs[channel.pk]
            channel.unread_count = max(0, channel.last_seq - last_read)
            body.append(MyChannelOutputSerializer(channel).data)
        return Response(body)


class ChannelDetailApi(APIView):
    @extend_schema(responses={200: ChannelOutputSerializer})
    def get(self, request, channel_id: int):
        return Response(_channel_body(channel_id))


class ChannelJoinApi(APIView):
    throttle_classes = [ChannelPasswordThrottle]

    class InputSerializer(serializers.Serializer):
        password = StrictCharField(max_length=128, required=False, allow_blank=True, trim_whitespace=False)

    @extend_schema(request=InputSerializer, responses={200: ChannelOutputSerializer})
    def post(self, request, channel_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        channel = selectors.channel_get(channel_id=channel_id)
        services.channel_join(user=request.user, channel=channel, password=serializer.validated_data.get("password"))
        return Response(_channel_body(channel.pk))


class ChannelLeaveApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request, channel_id: int):
        services.channel_leave(user=request.user, channel=selectors.channel_get(channel_id=channel_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChannelMembersApi(APIView):
    @extend_schema(responses={200: UserRefSerializer(many=True)})
    def get(self, request, channel_id: int):
        selectors.channel_for_member(user=request.user, channel_id=channel_id)
        members = selectors.channel_members(channel_id=channel_id)
        return Response([{"id": m.user_id, "username": m.user.username} for m in members])


class ChannelMessagesApi(APIView):
    class PageSerializer(serializers.Serializer):
        before_seq = SeqField(required=False, min_value=1)
        after_seq = SeqField(required=False)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)

    class InputSerializer(serializers.Serializer):
        # The shape only: chat.services.message_validate applies the rules, the same for the WebSocket.
        body = StrictCharField(min_length=1, max_length=chat_services.MAX_BODY_CHARS, trim_whitespace=False)
        client_msg_id = StrictCharField(min_length=1, max_length=chat_services.MAX_CLIENT_MSG_ID_CHARS, required=False)

    class PageOutputSerializer(serializers.Serializer):
        results = MessageOutputSerializer(many=True)
        has_more = serializers.BooleanField()

    @extend_schema(parameters=[PageSerializer], responses={200: PageOutputSerializer})
    def get(self, request, channel_id: int):
        query = self.PageSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        selectors.channel_for_member(user=request.user, channel_id=channel_id)
        page = query.validated_data
        limit = page["limit"]
        after_seq = page.get("after_seq")
        # Newest page by default (or before a seq); oldest-first when reading forward.
        newest = after_seq is None
        messages = async_to_sync(chat_selectors.messages_after)(
            channel_id=channel_id,
            after_seq=after_seq or 0,
            before_seq=page.get("before_seq"),
            limit=limit + 1,
            newest=newest,
        )
        has_more = len(messages) > limit
        messages = messages[1:] if newest and has_more else messages[:limit]
        return Response({"results": MessageOutputSerializer(messages, many=True).data, "has_more": has_more})

    @extend_schema(request=InputSerializer, responses={201: MessageOutputSerializer})
    def post(self, request, channel_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        selectors.channel_for_member(user=request.user, channel_id=channel_id)
        message, _ = async_to_sync(chat_services.message_send)(
            channel_id=channel_id,
            sender_id=request.user.pk,
            sender_username=request.user.username,
            body=serializer.validated_data["body"],
            client_msg_id=serializer.validated_data.get("client_msg_id"),  # none: every POST is a new message
        )
        return Response(MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED)


class ChannelReadApi(APIView):
    class InputSerializer(serializers.Serializer):
        seq = SeqField()

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request, channel_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        channel = selectors.channel_for_member(user=request.user, channel_id=channel_id)
        services.channel_mark_read(user=request.user, channel=channel, seq=serializer.validated_data["seq"])
        return Response(status=status.HTTP_204_NO_CONTENT)
