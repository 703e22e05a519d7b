"""Chat channels REST API (docs/api.md "Chat channels", and the owner's administration of "Additions (v2)")."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import UserRefSerializer
from channels_app import selectors, services
from channels_app.throttles import ChannelPasswordThrottle
from core.api.fields import IdField, QuerySerializer, StrictCharField
from core.api.limits import DB_INTEGER_MAX
from core.api.pagination import ResultsPagination, page_schema


class NoticeSerializer(serializers.Serializer):
    id = serializers.CharField()
    seq = serializers.IntegerField()
    sender = UserRefSerializer()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class ChannelOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    is_private = serializers.BooleanField()
    owner = UserRefSerializer()
    member_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    notice = NoticeSerializer(allow_null=True, help_text="the message pinned at the top of the chat (공지), or null")


def _channel_body(channel_id: int) -> dict:
    return ChannelOutputSerializer(selectors.channel_with_member_count(channel_id=channel_id)).data


class ChannelListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = StrictCharField(max_length=100)
        description = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")
        password = StrictCharField(max_length=128, required=False, allow_blank=True, trim_whitespace=False)

    class SearchSerializer(QuerySerializer):
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


class ChannelDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = StrictCharField(max_length=100, required=False)
        description = StrictCharField(max_length=1000, required=False, allow_blank=True)
        password = StrictCharField(
            max_length=128,
            required=False,
            allow_blank=True,
            trim_whitespace=False,
            help_text='A new password; "" makes the channel public. Members stay members.',
        )

    @extend_schema(responses={200: ChannelOutputSerializer})
    def get(self, request, channel_id: int):
        return Response(_channel_body(channel_id))

    @extend_schema(request=InputSerializer, responses={200: ChannelOutputSerializer})
    def patch(self, request, channel_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.channel_update(user=request.user, channel_id=channel_id, **serializer.validated_data)
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


class ChannelMemberApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, channel_id: int, user_id: int):
        services.channel_member_remove(user=request.user, channel_id=channel_id, member_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChannelOwnerApi(APIView):
    class InputSerializer(serializers.Serializer):
        user_id = IdField(help_text="A member of the channel, who becomes its owner.")

    @extend_schema(request=InputSerializer, responses={200: ChannelOutputSerializer})
    def post(self, request, channel_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.channel_owner_transfer(
            user=request.user, channel_id=channel_id, new_owner_id=serializer.validated_data["user_id"]
        )
        return Response(_channel_body(channel_id))
