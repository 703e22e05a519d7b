"""Chat writes. REST, the WebSocket consumer and other apps send messages through message_send."""

import re
import uuid
from datetime import UTC, datetime

from asgiref.sync import sync_to_async
from django.utils.translation import gettext as _

from chat.mentions import mentioned_members
from chat.realtime import message_log
from core.api.errors import DomainError

MAX_BODY_CHARS = 4000
MAX_CLIENT_MSG_ID_CHARS = 64
MESSAGE_ID = re.compile(r"[0-9a-f]{1,32}")
# client_msg_ids of posts the server writes (dues cards, reminders, notices): no client may send
# one, so no member can take the id of a post the server is about to write.
SYSTEM_ID_PREFIX = "sys:"


class MessageInvalid(DomainError):
    """A message the product refuses (400 `invalid`; `too_large` over the WebSocket for a long body)."""

    def __init__(self, detail: str, *, field: str, too_large: bool = False):
        super().__init__(detail, fields={field: [detail]})
        self.too_large = too_large


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return _("may not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _("may not contain lone surrogate characters")
    return None


def message_validate(*, body: object, client_msg_id: object, reply_to: object = None) -> None:
    """The rules every message meets before it gets a seq: what passes here, the store accepts."""
    if not isinstance(body, str) or not body:
        raise MessageInvalid(
            _("`body` must be text of 1 to %(max)d characters.") % {"max": MAX_BODY_CHARS}, field="body"
        )
    if len(body) > MAX_BODY_CHARS:
        raise MessageInvalid(
            _("`body` may be at most %(max)d characters.") % {"max": MAX_BODY_CHARS}, field="body", too_large=True
        )
    if problem := _text_problem(body):
        raise MessageInvalid(_("`body` %(problem)s.") % {"problem": problem}, field="body")
    if not isinstance(client_msg_id, str) or not 1 <= len(client_msg_id) <= MAX_CLIENT_MSG_ID_CHARS:
        raise MessageInvalid(
            _("`client_msg_id` must be text of 1 to %(max)d characters.") % {"max": MAX_CLIENT_MSG_ID_CHARS},
            field="client_msg_id",
        )
    if problem := _text_problem(client_msg_id):
        raise MessageInvalid(_("`client_msg_id` %(problem)s.") % {"problem": problem}, field="client_msg_id")
    if reply_to is not None and not (isinstance(reply_to, str) and MESSAGE_ID.fullmatch(reply_to)):
        raise MessageInvalid(_("`reply_to` must be the id of a message of the channel."), field="reply_to")


async def message_send(
    *,
    channel_id: int,
    sender_id: int,
    sender_username: str,
    body: str,
    client_msg_id: str | None = None,
    reply_to: str | None = None,
    system: bool = False,
    card: dict | None = None,
    attachments: list[int] | None = None,
) -> tuple[dict, bool]:
    """Validates, stores and fans out one message; (message, created). The caller checked membership.

    `card` is what the server adds to a message it posts (a poll's {"poll": ...}): it goes out
    live with the message; history lays the current state of the card over it (chat.selectors).

    Without a client_msg_id every call is a new message; a repeated one (of the same sender)
    returns the first message with created=False and delivers nothing. Members named with
    @username hear of it (event `mentioned`). Only the server's own posts (system=True) may use
    client_msg_ids starting with SYSTEM_ID_PREFIX.
    """
    from chat import selectors

    client_msg_id = f"rest-{uuid.uuid4().hex}" if client_msg_id is None else client_msg_id
    message_validate(body=body, client_msg_id=client_msg_id, reply_to=reply_to)
    if not system and client_msg_id.startswith(SYSTEM_ID_PREFIX):
        raise MessageInvalid(
            _("`client_msg_id` may not start with “%(prefix)s”: those are the server's.")
            % {"prefix": SYSTEM_ID_PREFIX},
            field="client_msg_id",
        )
    if (
        reply_to is not None
        and await sync_to_async(selectors.message_get)(channel_id=channel_id, message_id=reply_to) is None
    ):
        raise MessageInvalid(_("`reply_to` must be the id of a message of the channel."), field="reply_to")
    if attachments:  # photos the sender uploaded to this channel (chat.attachments)
        from chat.attachments import MAX_PER_MESSAGE, attachment_refs

        refs = await sync_to_async(attachment_refs)(
            channel_id=channel_id, sender_id=sender_id, attachment_ids=list(dict.fromkeys(attachments))
        )
        if len(refs) != len(attachments) or len(refs) > MAX_PER_MESSAGE:
            detail = _("Attach at most %(max)d photos you uploaded to this channel.") % {"max": MAX_PER_MESSAGE}
            raise MessageInvalid(detail, field="attachments")
        card = {**(card or {}), "attachments": refs}
    mentions = await sync_to_async(mentioned_members)(channel_id=channel_id, body=body) if "@" in body else []
    draft = {
        "id": uuid.uuid4().hex,
        "channel": channel_id,
        "sender": {"id": sender_id, "username": sender_username},
        "body": body,
        "client_msg_id": client_msg_id,
        "created_at": datetime.now(UTC).isoformat(),
        "mentions": mentions,
        "reply_to": reply_to,
        **(card or {}),
    }
    unread = max(0, await selectors.channel_member_count(channel_id) - 1)  # everybody but the sender
    message, created = await message_log.append(draft, unread_count=unread)
    if created and mentions:
        from chat.events import publish_mentions

        await publish_mentions(message=message, user_ids=[user_id for user_id in mentions if user_id != sender_id])
    return message, created


def dead_letters_store_again(*, dead_letters) -> tuple[int, int]:
    """Offers dead letters to the store once more (after the cause was fixed); (stored, refused).

    A stored one leaves the dead letters; one refused again stays, with the new reason.
    """
    import json

    from chat.redaction import deleted_bodies_forget
    from chat.stores import get_message_store

    letters = list(dead_letters)
    messages = [json.loads(letter.payload) for letter in letters]
    store = get_message_store()
    refused = {message.get("id"): reason for message, reason in store.insert_many(messages)}
    deleted_bodies_forget(store=store, messages=messages)
    for letter in letters:
        if letter.message_id in refused:
            letter.error = refused[letter.message_id][:2000]
            letter.save(update_fields=["error"])
        else:
            letter.delete()
    return len(letters) - len(refused), len(refused)
