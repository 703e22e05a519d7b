"""A channel's notice (공지): the one message its owner pins at the top of the chat (docs/api.md "Additions (v3)").

The channel keeps the message as members saw it (channels_app.models.Channel.notice); an edit of
that message changes the notice with it and a deletion takes it down. Every subscriber hears each
change live: {type: "channel_updated", channel, notice}.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from channels_app.models import Channel
from channels_app.selectors import channel_for_owner
from chat import selectors
from chat.outbox import announce_channel_frame
from core.api.errors import DomainError, NotFound


def _snapshot(message: dict) -> dict:
    return {key: message[key] for key in ("id", "seq", "sender", "body", "created_at")}


def _announce(channel: Channel) -> None:
    """In the change's transaction, through the outbox."""
    announce_channel_frame(channel_id=channel.pk, frame={"type": "channel_updated", "notice": channel.notice})


@transaction.atomic
def channel_notice_pin(*, user, channel_id: int, message_id: str) -> Channel:
    """The owner pins one message of the channel; it replaces the notice before it."""
    channel = channel_for_owner(user=user, channel_id=channel_id, lock=True)
    message = selectors.message_get(channel_id=channel_id, message_id=message_id)
    if message is None or message["deleted"]:
        detail = _("No such message in this channel.")
        raise DomainError(detail, fields={"message_id": [detail]})
    channel.notice = _snapshot(message)
    channel.save(update_fields=["notice"])
    _announce(channel)
    return channel


@transaction.atomic
def channel_notice_unpin(*, user, channel_id: int) -> None:
    channel = channel_for_owner(user=user, channel_id=channel_id, lock=True)
    if channel.notice is None:
        raise NotFound(_("This channel has no notice."))
    channel.notice = None
    channel.save(update_fields=["notice"])
    _announce(channel)


def channel_notice_follow(*, message: dict) -> None:
    """The message changed (edited or deleted): if it is the notice, the notice changes with it.

    Runs inside the change's transaction, after the message's new state was saved."""
    channel = Channel.objects.select_for_update(no_key=True).filter(pk=message["channel"]).first()
    if channel is None or not channel.notice or channel.notice["id"] != message["id"]:
        return
    current = selectors.message_get(channel_id=channel.pk, message_id=message["id"])
    channel.notice = None if current is None or current["deleted"] else _snapshot(current)
    channel.save(update_fields=["notice"])
    _announce(channel)
