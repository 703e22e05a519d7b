"""Chat REST API (docs/api.md "Chat channels": messages, and each of my channels with its unread count;
"Additions (v2)": search in a channel).

Messages sent here go through the same service as the WebSocket's, and are delivered live
exactly like a WebSocket send.
"""

from asgiref.sync import async_to_sync
from django.core.validators import RegexValidator
from django.http import FileResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from accounts.serializers import UserRefSerializer
from channels_app import selectors as channel_selectors
from channels_app import services as channel_services
from channels_app.api import ChannelOutputSerializer
from chat import attachments, changes, notices, polls, read_markers, selectors, services
from chat.realtime.ratelimit import send_budget_take
from core.api.errors import NotFound, RateLimited
from core.api.fields import IdField, QuerySerializer, SeqField, StrictCharField


class LastMessageOutputSerializer(serializers.Serializer):
    """The channel list's preview of a channel's newest message."""

    id = serializers.CharField()
    seq = serializers.IntegerField()
    sender = UserRefSerializer()
    body = serializers.CharField(allow_null=True, help_text="null when it was deleted")
    photos = serializers.SerializerMethodField(help_text="how many photos it shows")
    deleted = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def get_photos(self, message) -> int:
        return len(message.get("attachments") or [])


class MyChannelOutputSerializer(ChannelOutputSerializer):
    last_seq = serializers.IntegerField()
    unread_count = serializers.IntegerField()
    last_message = LastMessageOutputSerializer(allow_null=True)


class PollOptionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    votes = serializers.IntegerField()


class PollVoterSerializer(serializers.Serializer):
    user = UserRefSerializer()
    options = serializers.ListField(child=serializers.IntegerField(), help_text="the option ids they chose")


class PollOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    channel = serializers.IntegerField()
    question = serializers.CharField()
    options = PollOptionOutputSerializer(many=True)
    multiple = serializers.BooleanField()
    closed = serializers.BooleanField()
    closes_at = serializers.DateTimeField(allow_null=True)
    created_by = UserRefSerializer()
    voters = PollVoterSerializer(many=True, help_text="who chose what (members only see polls)")


class AttachmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text='"image"')
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    size = serializers.IntegerField(help_text="bytes")
    url = serializers.CharField(help_text="members only")
    thumbnail_url = serializers.CharField(help_text="members only; the image itself until the thumbnail is made")


class MessageOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    channel = serializers.IntegerField()
    seq = serializers.IntegerField()
    sender = UserRefSerializer()
    body = serializers.CharField(allow_null=True, help_text="null once the message is deleted")
    client_msg_id = serializers.CharField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted = serializers.BooleanField()
    reactions = serializers.DictField(child=serializers.IntegerField(), help_text="{emoji: count}")
    mentions = serializers.ListField(child=serializers.IntegerField(), help_text="ids of the members it names")
    reply_to = serializers.CharField(allow_null=True, help_text="the id of the message it answers")
    unread_count = serializers.IntegerField(help_text="members (not the sender) who have not read it yet")
    poll = PollOutputSerializer(required=False, help_text="a poll's card: the poll as it is now")
    attachments = AttachmentOutputSerializer(many=True, required=False)


class ChannelMineApi(APIView):
    @extend_schema(responses={200: MyChannelOutputSerializer(many=True)})
    def get(self, request):
        rows = channel_selectors.channel_list_for_user(user=request.user)
        last_seqs = selectors.channels_last_seq([channel.pk for channel, _ in rows])
        last_messages = selectors.channels_last_message(last_seqs)
        body = []
        for channel, last_read in rows:
            channel.last_seq = last_seqs[channel.pk]
            channel.last_message = last_messages.get(channel.pk)
            channel.unread_count = max(0, channel.last_seq - last_read)
            body.append(MyChannelOutputSerializer(channel).data)
        return Response(body)


class ChannelReadApi(APIView):
    class InputSerializer(serializers.Serializer):
        seq = SeqField()

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request, channel_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        channel = channel_selectors.channel_for_member(user=request.user, channel_id=channel_id)
        ((_user, _channel, seq),) = async_to_sync(read_markers.reads_bounded)(
            [(request.user.pk, channel.pk, serializer.validated_data["seq"])]
        )
        channel_services.channel_mark_read(user=request.user, channel=channel, seq=seq)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _spend_send_budget(user) -> None:
    """One message of the person's budget, shared with their sockets (chat.realtime.ratelimit): 429 over it."""
    if not async_to_sync(send_budget_take)(user_id=user.pk):
        raise RateLimited(_("You are sending too fast; slow down."))


class ChannelMessagesApi(APIView):
    class PageSerializer(QuerySerializer):
        before_seq = SeqField(required=False, min_value=1)
        after_seq = SeqField(required=False)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)

    class InputSerializer(serializers.Serializer):
        # The shape only: chat.services.message_validate applies the rules, the same for the WebSocket.
        body = StrictCharField(min_length=1, max_length=services.MAX_BODY_CHARS, trim_whitespace=False)
        client_msg_id = StrictCharField(min_length=1, max_length=services.MAX_CLIENT_MSG_ID_CHARS, required=False)
        reply_to = StrictCharField(
            min_length=1,
            max_length=32,
            required=False,
            allow_null=True,
            validators=[RegexValidator(services.MESSAGE_ID)],
        )
        attachments = serializers.ListField(
            child=IdField(), required=False, max_length=10, help_text="ids of photos you uploaded to this channel"
        )

    class PageOutputSerializer(serializers.Serializer):
        results = MessageOutputSerializer(many=True)
        has_more = serializers.BooleanField()

    @extend_schema(parameters=[PageSerializer], responses={200: PageOutputSerializer})
    def get(self, request, channel_id: int):
        query = self.PageSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        channel_selectors.channel_for_member(user=request.user, channel_id=channel_id)
        page = query.validated_data
        limit = page["limit"]
        after_seq = page.get("after_seq")
        # Newest page by default (or before a seq); oldest-first when reading forward.
        newest = after_seq is None
        messages = async_to_sync(selectors.history)(
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
        channel_selectors.channel_for_member(user=request.user, channel_id=channel_id)
        _spend_send_budget(request.user)
        message, _created = async_to_sync(services.message_send)(
            channel_id=channel_id,
            sender_id=request.user.pk,
            sender_username=request.user.username,
            body=serializer.validated_data["body"],
            client_msg_id=serializer.validated_data.get("client_msg_id"),  # none: every POST is a new message
            reply_to=serializer.validated_data.get("reply_to"),
            attachments=serializer.validated_data.get("attachments"),
        )
        return Response(MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED)


class ChannelMessageSearchApi(APIView):
    class PageSerializer(QuerySerializer):
        q = StrictCharField(max_length=selectors.SEARCH_MAX_CHARS, help_text="Words, in any order; each must match.")
        before_seq = SeqField(required=False, min_value=1, help_text="Only messages older than this seq.")
        limit = serializers.IntegerField(required=False, min_value=1, max_value=selectors.SEARCH_MAX_PAGE, default=20)

    class OutputSerializer(serializers.Serializer):
        results = MessageOutputSerializer(many=True)
        next = serializers.URLField(allow_null=True)

    @extend_schema(parameters=[PageSerializer], responses={200: OutputSerializer})
    def get(self, request, channel_id: int):
        query = self.PageSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        channel_selectors.channel_for_member(user=request.user, channel_id=channel_id)
        limit = query.validated_data["limit"]
        messages = selectors.message_search(
            channel_id=channel_id,
            query=query.validated_data["q"],
            limit=limit + 1,
            before_seq=query.validated_data.get("before_seq"),
        )
        next_url = None
        if len(messages) > limit:
            messages = messages[:limit]
            next_url = replace_query_param(request.build_absolute_uri(), "before_seq", messages[-1]["seq"])
        return Response({"results": MessageOutputSerializer(messages, many=True).data, "next": next_url})


def _message_id(message_id: str) -> str:
    if not services.MESSAGE_ID.fullmatch(message_id):
        raise NotFound(_("No such message in this channel."))
    return message_id


class MessageApi(APIView):
    class InputSerializer(serializers.Serializer):
        body = StrictCharField(min_length=1, max_length=services.MAX_BODY_CHARS, trim_whitespace=False)

    # The body is required: an edit is a new body, not a partial update of the message.
    @extend_schema(
        request={
            "application/json": {
                "type": "object",
                "properties": {"body": {"type": "string", "minLength": 1, "maxLength": services.MAX_BODY_CHARS}},
                "required": ["body"],
            }
        },
        responses={200: MessageOutputSerializer},
    )
    def patch(self, request, channel_id: int, message_id: str):
        message_id = _message_id(message_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _spend_send_budget(request.user)  # a new body to every member, as a message is
        message = changes.message_edit(
            user=request.user, channel_id=channel_id, message_id=message_id, body=serializer.validated_data["body"]
        )
        return Response(MessageOutputSerializer(message).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, channel_id: int, message_id: str):
        changes.message_delete(user=request.user, channel_id=channel_id, message_id=_message_id(message_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessageReactionsApi(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "reaction"

    class InputSerializer(serializers.Serializer):
        emoji = StrictCharField(min_length=1, max_length=changes.MAX_EMOJI_CHARS, trim_whitespace=False)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: {"type": "object", "additionalProperties": {"type": "integer"}, "description": "{emoji: count}"}
        },
    )
    def post(self, request, channel_id: int, message_id: str):
        message_id = _message_id(message_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reactions = changes.message_react(
            user=request.user, channel_id=channel_id, message_id=message_id, emoji=serializer.validated_data["emoji"]
        )
        return Response(reactions)


class ChannelNoticeApi(APIView):
    class InputSerializer(serializers.Serializer):
        message_id = StrictCharField(
            min_length=1,
            max_length=32,
            validators=[RegexValidator(services.MESSAGE_ID)],
            help_text="a message of the channel",
        )

    @extend_schema(request=InputSerializer, responses={200: ChannelOutputSerializer})
    def post(self, request, channel_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notices.channel_notice_pin(
            user=request.user, channel_id=channel_id, message_id=serializer.validated_data["message_id"]
        )
        return Response(
            ChannelOutputSerializer(channel_selectors.channel_with_member_count(channel_id=channel_id)).data
        )

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, channel_id: int):
        notices.channel_notice_unpin(user=request.user, channel_id=channel_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _poll_body(poll_id: int) -> dict:
    return PollOutputSerializer(selectors.poll_data(selectors.poll_get(poll_id=poll_id))).data


class ChannelPollsApi(APIView):
    class InputSerializer(serializers.Serializer):
        question = StrictCharField(max_length=300)
        options = serializers.ListField(
            child=StrictCharField(max_length=100),
            min_length=polls.MIN_OPTIONS,
            max_length=polls.MAX_OPTIONS,
            help_text="2 to 10 options, each different",
        )
        multiple = serializers.BooleanField(default=False, help_text="whether a member may choose several")
        closes_at = serializers.DateTimeField(required=False, allow_null=True, help_text="closed then by itself")

    @extend_schema(request=InputSerializer, responses={201: PollOutputSerializer})
    def post(self, request, channel_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        channel_selectors.channel_for_member(user=request.user, channel_id=channel_id)
        _spend_send_budget(request.user)  # a poll is posted in the chat as a message
        poll = polls.poll_create(user=request.user, channel_id=channel_id, **serializer.validated_data)
        return Response(_poll_body(poll.pk), status=status.HTTP_201_CREATED)


class PollApi(APIView):
    @extend_schema(responses={200: PollOutputSerializer})
    def get(self, request, poll_id: int):
        poll = selectors.poll_for_member(user=request.user, poll_id=poll_id)
        return Response(PollOutputSerializer(selectors.poll_data(poll)).data)


class PollVoteApi(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "poll_vote"

    class InputSerializer(serializers.Serializer):
        options = serializers.ListField(
            child=IdField(), max_length=polls.MAX_OPTIONS, help_text="option ids; replaces your vote ([] takes it back)"
        )

    @extend_schema(request=InputSerializer, responses={200: PollOutputSerializer})
    def post(self, request, poll_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        polls.poll_vote(user=request.user, poll_id=poll_id, option_ids=serializer.validated_data["options"])
        return Response(_poll_body(poll_id))


class PollCloseApi(APIView):
    @extend_schema(request=None, responses={200: PollOutputSerializer})
    def post(self, request, poll_id: int):
        polls.poll_close(user=request.user, poll_id=poll_id)
        return Response(_poll_body(poll_id))


class ChannelAttachmentsApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        responses={201: AttachmentOutputSerializer},
    )
    def post(self, request, channel_id: int):
        attachment = attachments.attachment_upload(
            user=request.user, channel_id=channel_id, upload=request.FILES.get("file")
        )
        return Response(attachments.attachment_ref(attachment), status=status.HTTP_201_CREATED)


def _serve(name: str, content_type: str, *, final: bool = True):
    """From the filesystem through this checked view; from S3 by a signed URL that expires.
    A stand-in (the photo served while its thumbnail is being made) is not kept by the browser."""
    from django.core.files.storage import FileSystemStorage, default_storage

    if isinstance(default_storage, FileSystemStorage):
        response = FileResponse(default_storage.open(name), content_type=content_type)
    else:
        response = HttpResponseRedirect(default_storage.url(name))
    response["Cache-Control"] = "private, max-age=300" if final else "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class AttachmentApi(APIView):
    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY})
    def get(self, request, attachment_id: int):
        attachment = attachments.attachment_for_member(user=request.user, attachment_id=attachment_id)
        return _serve(attachment.file, attachment.content_type)


class AttachmentThumbnailApi(APIView):
    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY})
    def get(self, request, attachment_id: int):
        attachment = attachments.attachment_for_member(user=request.user, attachment_id=attachment_id)
        if attachment.thumbnail:
            return _serve(attachment.thumbnail, "image/jpeg")
        return _serve(attachment.file, attachment.content_type, final=False)  # until the background made it
