"""Channel writes. Events go out on commit, so nobody hears of a write that rolled back."""

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from channels_app.models import Channel, Membership
from channels_app.selectors import channel_membership_for_update
from chat.events import publish_channel_event, publish_membership_left
from config.errors import Conflict, DomainError, Forbidden
from wallets.selectors import wallet_keeps_group_wallet_in


def _member_event(*, channel_id: int, user, event: str) -> None:
    data = {"user": {"id": user.pk, "username": user.username}}
    transaction.on_commit(lambda: publish_channel_event(channel_id=channel_id, event=event, data=data))


@transaction.atomic
def channel_create(*, owner, name: str, description: str = "", password: str | None = None) -> Channel:
    name = name.strip()
    if not name:
        raise DomainError(_("A channel needs a name."), fields={"name": [_("This field may not be blank.")]})
    channel = Channel.objects.create(
        owner=owner,
        name=name,
        description=description.strip(),
        password_hash=make_password(password) if password else "",
    )
    Membership.objects.create(channel=channel, user=owner)
    return channel


@transaction.atomic
def channel_join(*, user, channel: Channel, password: str | None = None) -> Channel:
    """Joins the channel; joining twice is fine. Private channels need their password."""
    if Membership.objects.filter(channel=channel, user=user).exists():
        return channel
    if channel.is_private and not check_password(password or "", channel.password_hash):
        raise Forbidden(_("The channel password is not right."), code="wrong_password")
    try:
        with transaction.atomic():
            Membership.objects.create(channel=channel, user=user)
    except IntegrityError:
        return channel  # a parallel join of the same user won the race
    _member_event(channel_id=channel.pk, user=user, event="member_joined")
    return channel


@transaction.atomic
def channel_leave(*, user, channel: Channel) -> None:
    """A group wallet's treasurer stays until they have handed it over (409 conflict): a wallet
    kept by someone outside its channel could be paid into by nobody but emptied by them.

    The membership row is locked first, so a wallet handover to this user racing the leave
    is either seen here or refused there (wallets.services.wallets.group_wallet_hand_over).
    """
    membership = channel_membership_for_update(user_id=user.pk, channel_id=channel.pk)
    if membership is None:
        return
    if wallet_keeps_group_wallet_in(user=user, channel_id=channel.pk):
        raise Conflict(_("You keep a group wallet of this channel: hand it to another member before you leave."))
    membership.delete()
    _member_event(channel_id=channel.pk, user=user, event="member_left")
    transaction.on_commit(lambda: publish_membership_left(user_id=user.pk, channel_id=channel.pk))


def channel_mark_read(*, user, channel: Channel, seq: int) -> None:
    """Moves the read marker forward only; an old seq never moves it back."""
    Membership.objects.filter(channel=channel, user=user, last_read_seq__lt=seq).update(last_read_seq=seq)
