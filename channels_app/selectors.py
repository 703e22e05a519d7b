"""Channel reads, and the access helpers every entry point uses to fetch-and-check."""

from channels_app.models import Channel, Membership
from config.errors import Forbidden, NotFound


def channel_get(*, channel_id: int) -> Channel:
    channel = Channel.objects.select_related("owner").filter(pk=channel_id).first()
    if channel is None:
        raise NotFound("No such channel.")
    return channel


def channel_is_member(*, user, channel_id: int) -> bool:
    return Membership.objects.filter(channel_id=channel_id, user=user).exists()


def channel_for_member(*, user, channel_id: int) -> Channel:
    """The channel, if it exists and the user is a member; NotFound or Forbidden otherwise."""
    channel = channel_get(channel_id=channel_id)
    if not channel_is_member(user=user, channel_id=channel.pk):
        raise Forbidden("You are not a member of this channel.")
    return channel


def channel_member_ids(*, channel_id: int) -> list[int]:
    return list(Membership.objects.filter(channel_id=channel_id).values_list("user_id", flat=True))
