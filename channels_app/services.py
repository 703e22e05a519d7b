"""Channel writes. Their signals are sent inside the write's transaction: what receivers announce
commits with it (chat/outbox.py), so nobody hears of a write that rolled back."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from channels_app.models import Channel, Membership
from channels_app.passwords import channel_password_check, password_hash
from channels_app.selectors import channel_for_owner, channel_membership_for_update
from channels_app.signals import (
    channel_changed,
    marker_moved,
    member_joined,
    member_joining,
    member_leaving,
    member_left,
)
from core.api.errors import Conflict, DomainError, NotFound


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise DomainError(_("A channel needs a name."), fields={"name": [_("This field may not be blank.")]})
    return name


@transaction.atomic
def channel_create(*, owner, name: str, description: str = "", password: str | None = None) -> Channel:
    channel = Channel.objects.create(
        owner=owner,
        name=_clean_name(name),
        description=description.strip(),
        password_hash=password_hash(password) if password else "",
    )
    Membership.objects.create(channel=channel, user=owner)
    return channel


def channel_join(*, user, channel: Channel, password: str | None = None) -> Channel:
    """Joins the channel; joining twice is fine. Private channels need their password.

    Not one transaction: a wrong password's count is committed before its refusal is raised."""
    if Membership.objects.filter(channel=channel, user=user).exists():
        return channel
    if channel.is_private:
        channel_password_check(user=user, channel=channel, password=password or "")
    with transaction.atomic():
        # The channel's lock, which a leave takes too: a join racing the owner's leave of an
        # otherwise empty channel either comes first (the owner is refused: 409) or sees them gone.
        locked = Channel.objects.select_for_update(no_key=True).get(pk=channel.pk)
        try:
            with transaction.atomic():
                Membership.objects.create(channel=channel, user=user)
        except IntegrityError:
            return channel  # a parallel join of the same user won the race
        # An empty channel (its last member left) goes to whoever joins it first.
        if not Membership.objects.filter(channel=locked, user_id=locked.owner_id).exists():
            locked.owner = channel.owner = user
            locked.save(update_fields=["owner"])
        member_joining.send(sender=Channel, channel_id=channel.pk, user=user)
        member_joined.send(sender=Channel, channel_id=channel.pk, user=user)
    return channel


def _membership_end(*, channel: Channel, user) -> bool:
    """Ends the user's membership, if any; on commit, every node stops delivering the channel to them.

    Receivers of member_leaving may refuse (a group wallet's treasurer stays until they have
    handed it over: wallets.receivers). The membership row is locked first, so a wallet
    handover to this user racing the leave is either seen here or refused there
    (wallets.services.wallets.group_wallet_hand_over).
    """
    membership = channel_membership_for_update(user_id=user.pk, channel_id=channel.pk)
    if membership is None:
        return False
    member_leaving.send(sender=Channel, channel_id=channel.pk, user=user)
    membership.delete()
    member_left.send(sender=Channel, channel_id=channel.pk, user=user)
    return True


@transaction.atomic
def channel_leave(*, user, channel: Channel) -> None:
    """Leaves the channel. The owner stays while anyone else is in it, so the channel always has a
    member who can administer it; the last member leaving leaves an empty channel, which the next
    to join owns (channel_join). The channel's lock orders this after a hand-over or a removal."""
    locked = Channel.objects.select_for_update(no_key=True).get(pk=channel.pk)
    if locked.owner_id == user.pk and Membership.objects.filter(channel=locked).exclude(user=user).exists():
        raise Conflict(_("You own this channel: hand it over to another member before you leave."))
    _membership_end(channel=locked, user=user)


@transaction.atomic
def channel_update(
    *, user, channel_id: int, name: str | None = None, description: str | None = None, password: str | None = None
) -> Channel:
    """The owner renames the channel, describes it, or changes its password ("" makes it public).

    Members stay members whatever the password becomes; it guards joining only.
    """
    channel = channel_for_owner(user=user, channel_id=channel_id, lock=True)
    changed = []
    if name is not None:
        channel.name = _clean_name(name)
        changed.append("name")
    if description is not None:
        channel.description = description.strip()
        changed.append("description")
    if password is not None:
        channel.password_hash = password_hash(password) if password else ""
        changed.append("password_hash")
    channel.save(update_fields=changed)
    channel_changed.send(sender=Channel, channel_id=channel.pk, user=user)
    return channel


@transaction.atomic
def channel_member_remove(*, user, channel_id: int, member_id: int) -> None:
    """The owner removes a member, who stops receiving the channel on every node once this commits."""
    channel = channel_for_owner(user=user, channel_id=channel_id, lock=True)
    if member_id == channel.owner_id:
        raise Conflict(_("The owner cannot be removed; hand the channel to another member first."))
    member = get_user_model().objects.filter(pk=member_id).first()
    if member is None or not _membership_end(channel=channel, user=member):
        raise NotFound(_("That user is not a member of this channel."))


@transaction.atomic
def channel_owner_transfer(*, user, channel_id: int, new_owner_id: int) -> Channel:
    """The owner hands the channel to another member, who may then do all the owner does."""
    channel = channel_for_owner(user=user, channel_id=channel_id, lock=True)
    if not Membership.objects.filter(channel=channel, user_id=new_owner_id).exists():
        detail = _("The new owner must be a member of the channel.")
        raise DomainError(detail, fields={"user_id": [detail]})
    channel.owner_id = new_owner_id
    channel.save(update_fields=["owner"])
    channel_changed.send(sender=Channel, channel_id=channel.pk, user=user)
    return channel


@transaction.atomic
def channel_mark_read(*, user, channel: Channel, seq: int) -> None:
    """Moves the read marker forward only; an old seq never moves it back. The channel hears it."""
    channel_mark_read_many(reads=[(user.pk, channel.pk, seq)])
    marker_moved.send(sender=Channel, channel_id=channel.pk, user=user, seq=seq)


@transaction.atomic
def channel_mark_read_many(*, reads: list[tuple[int, int, int]]) -> None:
    """(user id, channel id, seq) markers moved forward together (the WebSocket's reads of a moment).

    Rows are locked in (channel, user) order: two nodes' batches (each one transaction) never wait
    on each other in a cycle. On PostgreSQL the batch is one statement: an update per pair (or
    one the ORM builds from hundreds of conditions) was nearly all of a node's database thread
    with everyone reading, and sends' lookups waited behind it (py-spy, BENCHMARKS.md).
    """
    furthest: dict[tuple[int, int], int] = {}
    for user_id, channel_id, seq in reads:
        furthest[channel_id, user_id] = max(seq, furthest.get((channel_id, user_id), seq))
    if not furthest:
        return
    if connection.vendor == "postgresql":
        channel_ids, user_ids = zip(*furthest, strict=True)
        with connection.cursor() as cursor:
            cursor.execute(MARK_READ_SQL, [list(channel_ids), list(user_ids), list(furthest.values())])
        return
    for (channel_id, user_id), seq in sorted(furthest.items()):  # the embedded mode: one process
        Membership.objects.filter(channel_id=channel_id, user_id=user_id, last_read_seq__lt=seq).update(
            last_read_seq=seq
        )


# The rows that move, locked in (channel, user) order (FOR UPDATE rechecks the condition on a row
# another batch moved meanwhile: a marker never goes back), then moved. channels_app_membership is
# Membership's table (Django's default name; the read-marker tests run this statement).
MARK_READ_SQL = """
WITH moved AS (
    SELECT m.id, v.seq FROM channels_app_membership m
    JOIN unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS v(channel_id, user_id, seq)
      ON m.channel_id = v.channel_id AND m.user_id = v.user_id
    WHERE m.last_read_seq < v.seq
    ORDER BY m.channel_id, m.user_id
    FOR UPDATE OF m
)
UPDATE channels_app_membership m SET last_read_seq = moved.seq FROM moved WHERE m.id = moved.id
"""
