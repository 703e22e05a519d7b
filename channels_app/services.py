"""Channel writes. Events go out on commit, so nobody hears of a write that rolled back."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from channels_app.models import Channel, Membership
from channels_app.passwords import channel_password_check, password_hash
from channels_app.selectors import channel_membership_for_update
from channels_app.signals import member_joined, member_leaving, member_left
from config.errors import DomainError


def _on_commit_send(signal, *, channel_id: int, user) -> None:
    transaction.on_commit(lambda: signal.send(sender=Channel, channel_id=channel_id, user=user))


@transaction.atomic
def channel_create(*, owner, name: str, description: str = "", password: str | None = None) -> Channel:
    name = name.strip()
    if not name:
        raise DomainError(_("A channel needs a name."), fields={"name": [_("This field may not be blank.")]})
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
    """Receivers of member_leaving may refuse (a group wallet's treasurer stays until they have
    handed it over: wallets.receivers).

    The membership row is locked first, so a wallet handover to this user racing the leave
    is either seen here or refused there (wallets.services.wallets.group_wallet_hand_over).
    """
    membership = channel_membership_for_update(user_id=user.pk, channel_id=channel.pk)
    if membership is None:
        return
    member_leaving.send(sender=Channel, channel_id=channel.pk, user=user)
    membership.delete()
    _on_commit_send(member_left, channel_id=channel.pk, user=user)


def channel_mark_read(*, user, channel: Channel, seq: int) -> None:
    """Moves the read marker forward only; an old seq never moves it back."""
    Membership.objects.filter(channel=channel, user=user, last_read_seq__lt=seq).update(last_read_seq=seq)
