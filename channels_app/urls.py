from django.urls import path

from channels_app import api, views

urlpatterns = [
    path("join/<id:channel_id>", views.join_link, name="join-link"),
    path("api/channels", api.ChannelListCreateApi.as_view(), name="api-channels"),
    path("api/channels/<id:channel_id>", api.ChannelDetailApi.as_view(), name="api-channel"),
    path("api/channels/<id:channel_id>/join", api.ChannelJoinApi.as_view(), name="api-channel-join"),
    path("api/channels/<id:channel_id>/leave", api.ChannelLeaveApi.as_view(), name="api-channel-leave"),
    path("api/channels/<id:channel_id>/members", api.ChannelMembersApi.as_view(), name="api-channel-members"),
    path(
        "api/channels/<id:channel_id>/members/<id:user_id>", api.ChannelMemberApi.as_view(), name="api-channel-member"
    ),
    path("api/channels/<id:channel_id>/owner", api.ChannelOwnerApi.as_view(), name="api-channel-owner"),
]
