"""Channel writes. Events go out on commit, so nobody hears of a write that rolled back."""

from django.db import IntegrityError, transaction

from channels_app.models import Channel, Membership
from channels_app.passwords import channel_password_check, password_hash
from chat.events import publish_channel_event, publish_membership_ended
from config.errors import DomainError


def _member_event(*, channel_id: int, user, event: str) -> None:
    data = {"user": {"id": user.pk, "username": user.username}}
    transaction.on_commit(lambda: publish_channel_event(channel_id=channel_id, event=event, data=data))


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
        _member_event(channel_id=channel.pk, user=user, event="member_joined")
    return channel


@transaction.atomic
def channel_leave(*, user, channel: Channel) -> None:
    deleted, _ = Membership.objects.filter(channel=channel, user=user).delete()
    if deleted:
        _member_event(channel_id=channel.pk, user=user, event="member_left")
        transaction.on_commit(lambda: publish_membership_ended(user_id=user.pk, channel_id=channel.pk))


def channel_mark_read(*, user, channel: Channel, seq: int) -> None:
    """Moves the read marker forward only; an old seq never moves it back."""
    Membership.objects.filter(channel=channel, user=user, last_read_seq__lt=seq).update(last_read_seq=seq)
