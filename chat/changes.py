"""Changes to sent messages: edits, deletions and reactions (API.md "Additions (v2) / Chat").

Each change takes the channel's next version under a row lock, updates the message's state
(chat.models.MessageState, laid over history whichever store holds the message) and, once
committed, goes out on the room's topic with its version; a client that resumes with
since_version gets every change it missed (chat/realtime/session.py).
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_app.selectors import channel_for_member
from chat import selectors
from chat.mentions import mentioned_members
from chat.models import ChannelVersion, MessageState, Reaction
from chat.notices import channel_notice_follow
from chat.redaction import redact_on_commit
from chat.services import message_validate
from config.errors import DomainError, Forbidden, NotFound

EDIT_WINDOW = timedelta(hours=24)
MAX_EMOJI_CHARS = 16


def _message(*, user, channel_id: int, message_id: str) -> tuple[object, dict]:
    channel = channel_for_member(user=user, channel_id=channel_id)
    message = selectors.message_get(channel_id=channel_id, message_id=message_id)
    if message is None:
        raise NotFound(_("No such message in this channel."))
    return channel, message


def _next_version(channel_id: int) -> int:
    """The channel's next change version. Runs under the transaction it locks the counter in."""
    ChannelVersion.objects.get_or_create(channel_id=channel_id)
    counter = ChannelVersion.objects.select_for_update().get(channel_id=channel_id)
    counter.version += 1
    counter.save(update_fields=["version"])
    return counter.version


def _changed(message: dict, change: Callable[[], dict]) -> MessageState:
    """Saves the message's new state with the channel's next version; its frames go out on commit.

    `change` runs after the channel's counter is locked: the channel's changes happen one at a
    time, so reactions are counted in order."""
    version = _next_version(message["channel"])
    state, _created = MessageState.objects.select_for_update().get_or_create(
        message_id=message["id"], defaults={"channel_id": message["channel"], "seq": message["seq"], "version": version}
    )
    for name, value in change().items():
        setattr(state, name, value)
    state.version = version
    state.save()
    transaction.on_commit(lambda: _publish(state))
    return state


def _publish(state: MessageState) -> None:
    from chat.events import publish_change

    publish_change(state=state)


@transaction.atomic
def message_edit(*, user, channel_id: int, message_id: str, body: str) -> dict:
    """The sender changes the body, within EDIT_WINDOW of sending; mentions are read again."""
    message = _message(user=user, channel_id=channel_id, message_id=message_id)[1]
    if message["sender"]["id"] != user.pk:
        raise Forbidden(_("Only the sender can edit a message."))
    if message["deleted"]:
        raise DomainError(_("A deleted message cannot be edited."), code="conflict", status_code=409)
    sent_at = datetime.fromisoformat(message["created_at"])
    if timezone.now() - sent_at > EDIT_WINDOW:
        raise Forbidden(_("A message can be edited for 24 hours after it was sent."))
    message_validate(body=body, client_msg_id=message["client_msg_id"])
    mentions = mentioned_members(channel_id=channel_id, body=body)
    _changed(message, lambda: {"body": body, "mentions": mentions, "edited_at": timezone.now()})
    channel_notice_follow(message=message)
    return selectors.message_get(channel_id=channel_id, message_id=message_id)


@transaction.atomic
def message_delete(*, user, channel_id: int, message_id: str) -> None:
    """The sender or the channel's owner deletes it; history keeps its seq, without the body."""
    channel, message = _message(user=user, channel_id=channel_id, message_id=message_id)
    if user.pk not in (message["sender"]["id"], channel.owner_id):
        raise Forbidden(_("Only the sender or the channel's owner can delete a message."))
    _delete(message)


@transaction.atomic
def message_delete_by_moderator(*, channel_id: int, message_id: str) -> bool:
    """A site moderator (the admin) deletes it as its sender could; False if it was gone already."""
    message = selectors.message_get(channel_id=channel_id, message_id=message_id)
    if message is None or message["deleted"]:
        return False
    _delete(message)
    return True


def _delete(message: dict) -> None:
    if message["deleted"]:
        return

    def delete() -> dict:
        Reaction.objects.filter(message_id=message["id"]).delete()
        return {"deleted": True, "body": "", "mentions": [], "reactions": {}}

    _changed(message, delete)
    channel_notice_follow(message=message)
    redact_on_commit(message)


@transaction.atomic
def message_react(*, user, channel_id: int, message_id: str, emoji: object) -> dict[str, int]:
    """Toggles the caller's reaction; returns the message's reactions {emoji: count}."""
    message = _message(user=user, channel_id=channel_id, message_id=message_id)[1]
    if not isinstance(emoji, str) or not 1 <= len(emoji) <= MAX_EMOJI_CHARS or not _one_emoji(emoji):
        raise DomainError(_("`emoji` must be one emoji."), fields={"emoji": [_("One emoji, please.")]})
    if message["deleted"]:
        raise DomainError(_("A deleted message takes no reactions."), code="conflict", status_code=409)

    def toggle() -> dict:
        mine = Reaction.objects.filter(message_id=message_id, user=user, emoji=emoji)
        if not mine.delete()[0]:
            Reaction.objects.create(message_id=message_id, user=user, emoji=emoji)
        counts: dict[str, int] = {}
        for name in Reaction.objects.filter(message_id=message_id).order_by("id").values_list("emoji", flat=True):
            counts[name] = counts.get(name, 0) + 1
        return {"reactions": counts}

    return _changed(message, toggle).reactions


def _one_emoji(text: str) -> bool:
    """One emoji as people type them: a pictograph, maybe with skin tone, variation selector or
    joiners (👍🏽, ❤️, 👨‍👩‍👧); not letters, digits or punctuation."""
    return all(not character.isalnum() and not character.isspace() for character in text) and any(
        ord(character) >= 0x2000 for character in text
    )
