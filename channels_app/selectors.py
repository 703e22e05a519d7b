"""Channel reads, and the access helpers every entry point uses to fetch-and-check."""

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from channels_app.models import Channel, Membership
from core.api.errors import Forbidden, NotFound


def channel_get(*, channel_id: int) -> Channel:
    channel = Channel.objects.select_related("owner").filter(pk=channel_id).first()
    if channel is None:
        raise NotFound(_("No such channel."))
    return channel


def channel_is_member(*, user, channel_id: int) -> bool:
    return Membership.objects.filter(channel_id=channel_id, user=user).exists()


def channel_membership_for_update(*, user_id: int, channel_id: int) -> Membership | None:
    """The membership row, locked; must run inside a transaction (a leave and a wallet handover take it)."""
    return Membership.objects.select_for_update().filter(channel_id=channel_id, user_id=user_id).first()


def channel_memberships_among(*, pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of these (user id, channel id) pairs are memberships, in one query."""
    if not pairs:
        return set()
    user_ids, channel_ids = {user_id for user_id, _ in pairs}, {channel_id for _, channel_id in pairs}
    found = Membership.objects.filter(user_id__in=user_ids, channel_id__in=channel_ids).values_list(
        "user_id", "channel_id"
    )
    return set(found) & set(pairs)


def channel_for_member(*, user, channel_id: int) -> Channel:
    """The channel, if it exists and the user is a member; NotFound or Forbidden otherwise."""
    channel = channel_get(channel_id=channel_id)
    if not channel_is_member(user=user, channel_id=channel.pk):
        raise Forbidden(_("You are not a member of this channel."))
    return channel


def channel_for_owner(*, user, channel_id: int, lock: bool = False) -> Channel:
    """The channel, if it exists and the user owns it; NotFound or Forbidden otherwise.

    lock=True (inside a transaction) takes the channel's row lock first, so owner actions run one
    after another and each sees the owner the one before left (joins and leaves take it too).
    FOR NO KEY UPDATE: messages, whose rows point at the channel, do not wait for it.
    """
    channels = Channel.objects.select_for_update(no_key=True) if lock else Channel.objects
    channel = channels.filter(pk=channel_id).first()
    if channel is None:
        raise NotFound(_("No such channel."))
    # An owner who left their channel (the last member out) no longer administers it.
    if channel.owner_id != user.pk or not channel_is_member(user=user, channel_id=channel.pk):
        raise Forbidden(_("Only the channel's owner may do this."))
    return channel


def channel_member_ids(*, channel_id: int) -> list[int]:
    return list(Membership.objects.filter(channel_id=channel_id).values_list("user_id", flat=True))


def channel_list_public(*, search: str = ""):
    channels = (
        Channel.objects.filter(password_hash="").select_related("owner").annotate(member_count=Count("memberships"))
    )
    if search:
        channels = channels.filter(Q(name__icontains=search) | Q(description__icontains=search))
    return channels.order_by("-created_at", "-id")


def channel_with_member_count(*, channel_id: int) -> Channel:
    channel = (
        Channel.objects.select_related("owner")
        .annotate(member_count=Count("memberships"))
        .filter(pk=channel_id)
        .first()
    )
    if channel is None:
        raise NotFound(_("No such channel."))
    return channel


def channel_list_for_user(*, user) -> list[tuple[Channel, int]]:
    """The user's channels with their read marker, newest membership first."""
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("channel__owner")
        .annotate(member_count=Count("channel__memberships"))
        .order_by("-joined_at")
    )
    result = []
    for membership in memberships:
        membership.channel.member_count = membership.member_count
        result.append((membership.channel, membership.last_read_seq))
    return result


def channel_members(*, channel_id: int):
    return Membership.objects.filter(channel_id=channel_id).select_related("user").order_by("joined_at")


def channel_members_named(*, channel_id: int, names: set[str]) -> list[int]:
    """Ids of the channel's members whose display names (any case) are among `names`."""
    from django.db.models.functions import Lower

    members = Membership.objects.filter(channel_id=channel_id).annotate(name=Lower("user__username"))
    return sorted(members.filter(name__in=names).values_list("user_id", flat=True))


def channel_read_markers(*, channel_id: int) -> list[tuple[int, int]]:
    """(user id, last read seq) of every member of the channel."""
    return channels_read_markers(channel_ids=[channel_id])[channel_id]


def channels_read_markers(*, channel_ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    """The same for several channels, in one query."""
    found: dict[int, list[tuple[int, int]]] = {channel_id: [] for channel_id in channel_ids}
    rows = Membership.objects.filter(channel_id__in=channel_ids).values_list("channel_id", "user_id", "last_read_seq")
    for channel_id, user_id, seq in rows.order_by("user_id"):
        found[channel_id].append((user_id, seq))
    return found


def channel_member_counts(*, channel_ids: list[int]) -> dict[int, int]:
    counts = dict(
        Membership.objects.filter(channel_id__in=channel_ids)
        .values("channel_id")
        .annotate(count=Count("id"))
        .values_list("channel_id", "count")
    )
    return {channel_id: counts.get(channel_id, 0) for channel_id in channel_ids}


def user_channel_ids(*, user_ids: list[int]) -> list[int]:
    """The channels any of these users are members of."""
    return sorted(set(Membership.objects.filter(user_id__in=user_ids).values_list("channel_id", flat=True)))
