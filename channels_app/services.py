"""Channel writes. Events go out on commit, so nobody hears of a write that rolled back."""

from django.db import IntegrityError, transaction

from channels_app.models import Channel, Membership
from channels_app.passwords import channel_password_check, password_hash
from channels_app.signals import marker_moved, member_joined, member_left
from config.errors import DomainError


def _on_commit_send(signal, *, channel_id: int, user, **extra) -> None:
    transaction.on_commit(lambda: signal.send(sender=Channel, channel_id=channel_id, user=user, **extra))


@transaction.atomic
def channel_create(*, owner, name: str, description: str = "", password: str | None = None) -> Channel:
    name = name.strip()
    if not name:
        raise DomainError("A channel needs a name.", fields={"name": ["This field may not be blank."]})
    channel = Channel.objects.create(
        owner=owner,
        name=name,
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
        try:
            with transaction.atomic():
                Membership.objects.create(channel=channel, user=user)
        except IntegrityError:
            return channel  # a parallel join of the same user won the race
        _on_commit_send(member_joined, channel_id=channel.pk, user=user)
    return channel


@transaction.atomic
def channel_leave(*, user, channel: Channel) -> None:
    deleted, _ = Membership.objects.filter(channel=channel, user=user).delete()
    if deleted:
        _on_commit_send(member_left, channel_id=channel.pk, user=user)


def channel_mark_read(*, user, channel: Channel, seq: int) -> None:
    """Moves the read marker forward only; an old seq never moves it back. The channel hears it."""
    channel_mark_read_many(reads=[(user.pk, channel.pk, seq)])
    _on_commit_send(marker_moved, channel_id=channel.pk, user=user, seq=seq)


@transaction.atomic
def channel_mark_read_many(*, reads: list[tuple[int, int, int]]) -> None:
    """(user id, channel id, seq) markers moved forward together (the WebSocket's reads of a moment)."""
    for user_id, channel_id, seq in reads:
        Membership.objects.filter(channel_id=channel_id, user_id=user_id, last_read_seq__lt=seq).update(
            last_read_seq=seq
        )
