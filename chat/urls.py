from django.urls import path

from chat import api

urlpatterns = [
    path("api/channels/mine", api.ChannelMineApi.as_view(), name="api-channels-mine"),
    path("api/channels/<id:channel_id>/read", api.ChannelReadApi.as_view(), name="api-channel-read"),
    path("api/channels/<id:channel_id>/notice", api.ChannelNoticeApi.as_view(), name="api-channel-notice"),
    path("api/channels/<id:channel_id>/polls", api.ChannelPollsApi.as_view(), name="api-channel-polls"),
    path("api/polls/<id:poll_id>", api.PollApi.as_view(), name="api-poll"),
    path(
        "api/channels/<id:channel_id>/attachments", api.ChannelAttachmentsApi.as_view(), name="api-channel-attachments"
    ),
    path("api/attachments/<id:attachment_id>", api.AttachmentApi.as_view(), name="api-attachment"),
    path(
        "api/attachments/<id:attachment_id>/thumbnail",
        api.AttachmentThumbnailApi.as_view(),
        name="api-attachment-thumbnail",
    ),
    path("api/polls/<id:poll_id>/vote", api.PollVoteApi.as_view(), name="api-poll-vote"),
    path("api/polls/<id:poll_id>/close", api.PollCloseApi.as_view(), name="api-poll-close"),
    path("api/channels/<id:channel_id>/messages", api.ChannelMessagesApi.as_view(), name="api-channel-messages"),
    # Before api/channels/<id>/messages/<message_id>: "search" is not a message id.
    path(
        "api/channels/<id:channel_id>/messages/search",
        api.ChannelMessageSearchApi.as_view(),
        name="api-channel-message-search",
    ),
    path("api/channels/<id:channel_id>/messages/<str:message_id>", api.MessageApi.as_view(), name="api-message"),
    path(
        "api/channels/<id:channel_id>/messages/<str:message_id>/reactions",
        api.MessageReactionsApi.as_view(),
        name="api-message-reactions",
    ),
]
