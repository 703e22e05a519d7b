"""Changes to sent messages: edits, deletions and reactions (docs/api.md "Additions (v2) / Chat").

Each change takes the channel's next version under a row lock, updates the message's state
(chat.models.MessageState, laid over history whichever store holds the message) and, once
committed, goes out on the room's topic with its version; a client that resumes with
since_version gets every change it missed (chat/realtime/session.py).
"""

from collections.abc import Callable
from datetime import datetime, timedelta

import emoji as unicode_emoji
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_app.selectors import channel_for_member
from chat import selectors
from chat.announcements import announce_change
from chat.mentions import mentioned_members
from chat.models import ChannelVersion, MessageState, Reaction
from chat.notices import channel_notice_follow
from chat.redaction import redact_on_commit
from chat.services import SYSTEM_ID_PREFIX, message_validate
from core.api.errors import Conflict, DomainError, Forbidden, NotFound

EDIT_WINDOW = timedelta(hours=24)
# The longest emoji sequences (families, flags of regions) are well under this many code points.
MAX_EMOJI_CHARS = 16
# Distinct emoji one message holds: each costs every subscriber a frame and a row in history.
MAX_REACTIONS_PER_MESSAGE = 20


def _message(*, user, channel_id: int, message_id: str) -> tuple[object, dict]:
    channel = channel_for_member(user=user, channel_id=channel_id)
    message = selectors.message_get(channel_id=channel_id, message_id=message_id)
    if message is None:
        raise NotFound(_("No such message in this channel."))
    return channel, message


def _sent_by(message: dict, user) -> bool:
    """Whether the user wrote it: what the server posts in someone's name (`sys:` ids: a dues card,
    the group wallet's activity, its approval rule) is the channel's record, not their words."""
    return message["sender"]["id"] == user.pk and not message["client_msg_id"].startswith(SYSTEM_ID_PREFIX)


def _next_version(channel_id: int) -> int:
    """The channel's next change version. Runs under the transaction it locks the counter in."""
    ChannelVersion.objects.get_or_create(channel_id=channel_id)
    counter = ChannelVersion.objects.select_for_update().get(channel_id=channel_id)
    counter.version += 1
    counter.save(update_fields=["version"])
    return counter.version


def _changed(message: dict, change: Callable[[MessageState], dict], *, emoji: str | None = None) -> MessageState:
    """Saves the message's new state with the channel's next version; its frames go out on commit
    (for a reaction, `emoji`: the frame carries that emoji's count only).

    `change` gets the locked state and runs after the channel's counter is locked: the channel's
    changes happen one at a time, so reactions are counted in order."""
    version = _next_version(message["channel"])
    state, _created = MessageState.objects.select_for_update().get_or_create(
        message_id=message["id"], defaults={"channel_id": message["channel"], "seq": message["seq"], "version": version}
    )
    for name, value in change(state).items():
        setattr(state, name, value)
    state.version = version
    state.save()
    announce_change(state=state, emoji=emoji)
    return state


@transaction.atomic
def message_edit(*, user, channel_id: int, message_id: str, body: str) -> dict:
    """The sender changes the body, within EDIT_WINDOW of sending; mentions are read again."""
    message = _message(user=user, channel_id=channel_id, message_id=message_id)[1]
    if not _sent_by(message, user):
        raise Forbidden(_("Only the sender can edit a message."))
    if message["deleted"]:
        raise DomainError(_("A deleted message cannot be edited."), code="conflict", status_code=409)
    sent_at = datetime.fromisoformat(message["created_at"])
    if timezone.now() - sent_at > EDIT_WINDOW:
        raise Forbidden(_("A message can be edited for 24 hours after it was sent."))
    message_validate(body=body, client_msg_id=message["client_msg_id"])
    mentions = mentioned_members(channel_id=channel_id, body=body)
    _changed(message, lambda _state: {"body": body, "mentions": mentions, "edited_at": timezone.now()})
    channel_notice_follow(message=message)
    return selectors.message_get(channel_id=channel_id, message_id=message_id)


@transaction.atomic
def message_delete(*, user, channel_id: int, message_id: str) -> None:
    """The sender or the channel's owner deletes it; history keeps its seq, without the body."""
    channel, message = _message(user=user, channel_id=channel_id, message_id=message_id)
    if not _sent_by(message, user) and user.pk != channel.owner_id:
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

    def delete(_state: MessageState) -> dict:
        Reaction.objects.filter(message_id=message["id"]).delete()
        return {"deleted": True, "body": "", "mentions": [], "reactions": {}}

    _changed(message, delete)
    channel_notice_follow(message=message)
    redact_on_commit(message)


def _one_emoji(text: object) -> str:
    """One grapheme of Unicode's emoji set (👍🏽, ❤️, 👨‍👩‍👧, 🇰🇷), as the emoji package's data knows
    them, in its fully qualified form: ❤ and ❤️ are one heart on screen, so one reaction."""
    if (
        not isinstance(text, str)
        or not 1 <= len(text) <= MAX_EMOJI_CHARS
        or not unicode_emoji.is_emoji(text)
        # A skin tone or hair swatch alone (🏽, 🦰) is a part of an emoji, shown as a colour patch.
        or unicode_emoji.EMOJI_DATA[text]["status"] == unicode_emoji.STATUS["component"]
    ):
        raise DomainError(_("`emoji` must be one emoji."), fields={"emoji": [_("One emoji, please.")]})
    return unicode_emoji.emojize(unicode_emoji.EMOJI_DATA[text]["en"])


@transaction.atomic
def message_react(*, user, channel_id: int, message_id: str, emoji: object) -> dict[str, int]:
    """Toggles the caller's reaction; returns the message's reactions {emoji: count}.

    A message holds at most MAX_REACTIONS_PER_MESSAGE distinct emoji. The counts change by one
    on the locked state; nothing is counted again."""
    message = _message(user=user, channel_id=channel_id, message_id=message_id)[1]
    emoji = _one_emoji(emoji)
    if message["deleted"]:
        raise DomainError(_("A deleted message takes no reactions."), code="conflict", status_code=409)

    def toggle(state: MessageState) -> dict:
        counts = dict(state.reactions)
        if Reaction.objects.filter(message_id=message_id, user=user, emoji=emoji).delete()[0]:
            counts[emoji] = counts.get(emoji, 1) - 1
            if counts[emoji] <= 0:
                del counts[emoji]
            return {"reactions": counts}
        if emoji not in counts and len(counts) >= MAX_REACTIONS_PER_MESSAGE:
            raise Conflict(
                _("This message has %(max)d different reactions already: add to one of them.")
                % {"max": MAX_REACTIONS_PER_MESSAGE}
            )
        Reaction.objects.create(message_id=message_id, user=user, emoji=emoji)
        counts[emoji] = counts.get(emoji, 0) + 1
        return {"reactions": counts}

    return _changed(message, toggle, emoji=emoji).reactions
