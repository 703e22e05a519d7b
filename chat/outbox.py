"""The transactional outbox: what a database write announces commits with the write.

A service announces a chat post, a user event or a channel event with announce_post,
announce_user_event or announce_channel_event inside its transaction: each writes an OutboxEvent
row there, so a write that rolls back announces nothing, and one that commits is announced
however long Redis is away. The announcing call registers the relay on commit itself (as Zulip's
send_event_on_commit does): callers never wrap transaction.on_commit by hand.

outbox_relay() publishes the rows in id order (so in order per channel and per user) through the
same path as every chat message (chat.services.message_send gives a post its seq) and deletes
them; at the first failure (Redis down) it stops and leaves the rest for the next run. It runs
right after each commit, and every CHAT_OUTBOX_RELAY_SECONDS from beat: on the Celery worker in
production, in a thread of the web process in the embedded mode. A post's client_msg_id is
"sys:outbox:<row id>" (or "sys:<name>"), so a row published twice (the relay died between the
publish and the delete) is one message; events carry the row id as `outbox_id`, so a client
can drop a repeat.
"""

import logging
import threading
from contextlib import nullcontext

from asgiref.sync import async_to_sync
from django.db import connection, transaction

from chat.events import publish_channel_event, publish_user_event
from chat.models import OutboxEvent
from chat.realtime.hubs import get_hub

logger = logging.getLogger(__name__)

RELAY_BATCH = 100
_RELAY_LOCK_KEY = 0x6F7574626F78  # "outbox": one relay at a time across processes (PostgreSQL)
_relay_running = threading.Lock()  # and within this process


def announce_post(*, channel_id: int, sender, body: str, name: str | None = None, card: dict | None = None) -> None:
    """A chat message the server writes in `sender`'s name (a dues card, a reminder, a notice).

    `name` makes it once only: the same name in the same channel from the same sender is posted
    once (its client_msg_id is "sys:<name>"); without one, each call is a post of its own.
    `card` goes out live with it (a poll's {"poll": ...}; chat.services.message_send).
    """
    payload = {"channel": channel_id, "sender": {"id": sender.pk, "username": sender.username}, "body": body}
    _add(OutboxEvent.Kind.POST, {**payload, "name": name, "card": card})


def announce_user_event(*, user_id: int, event: str, data: dict, channel_id: int | None = None) -> None:
    """{type: "event", event, data, channel?} to every connection of the user."""
    _add(OutboxEvent.Kind.USER_EVENT, {"user": user_id, "event": event, "data": data, "channel": channel_id})


def announce_channel_event(*, channel_id: int, event: str, data: dict) -> None:
    """{type: "event", event, channel, data} to the channel's subscribers."""
    _add(OutboxEvent.Kind.CHANNEL_EVENT, {"channel": channel_id, "event": event, "data": data})


def announce_room_payload(*, channel_id: int, payload: str) -> None:
    """A payload of chat/realtime/hub.py's format for the channel's room topic."""
    _add(OutboxEvent.Kind.ROOM_PAYLOAD, {"to": channel_id, "payload": payload})


def announce_feed_payload(*, user_id: int, payload: str) -> None:
    """A payload of chat/realtime/hub.py's format for the user's own feed."""
    _add(OutboxEvent.Kind.FEED_PAYLOAD, {"to": user_id, "payload": payload})


def _add(kind: str, payload: dict) -> None:
    with transaction.atomic(savepoint=False):  # the caller's transaction, or one of its own
        OutboxEvent.objects.create(kind=kind, payload=payload)
        # Robust: the write has committed; a relay that fails now leaves its rows for the next run.
        transaction.on_commit(outbox_relay, robust=True)


def outbox_relay() -> int:
    """Publishes waiting rows in order until none is left or one fails; how many went out.

    It waits for a relay already running (here or in another process) rather than leave its rows
    to that one: a leave must be out before it is answered, and the other may just be finishing."""
    with _relay_running:
        published = 0
        while True:
            done, failed = _relay_batch()
            published += done
            if failed or not done:
                return published


def _relay_batch() -> tuple[int, bool]:
    # PostgreSQL: the advisory lock lives as long as this transaction. SQLite: no transaction
    # around the publishing, which writes the store from another thread (a reader turned writer
    # would find the database locked).
    with transaction.atomic() if connection.vendor == "postgresql" else nullcontext():
        _lock_the_relay()
        rows = list(OutboxEvent.objects.order_by("pk")[:RELAY_BATCH])
        sent = []
        for row in rows:
            try:
                _publish(row)
            except Exception:  # Redis away, most likely: this row and every later one wait
                logger.warning("outbox row %s could not be published; retrying later", row.pk, exc_info=True)
                break
            sent.append(row.pk)
        OutboxEvent.objects.filter(pk__in=sent).delete()
    return len(sent), len(sent) < len(rows)


def _lock_the_relay() -> None:
    """One relay at a time, so rows go out in id order (held until the transaction ends)."""
    if connection.vendor == "postgresql":  # SQLite: one process (the embedded mode), _relay_running
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_RELAY_LOCK_KEY])


def _publish(row: OutboxEvent) -> None:
    from chat.services import SYSTEM_ID_PREFIX, message_send

    payload = row.payload
    if row.kind == OutboxEvent.Kind.ROOM_PAYLOAD:
        get_hub().publish_from_thread(payload["to"], payload["payload"])
    elif row.kind == OutboxEvent.Kind.FEED_PAYLOAD:
        get_hub().publish_to_user_from_thread(payload["to"], payload["payload"])
    elif row.kind == OutboxEvent.Kind.POST:
        async_to_sync(message_send)(
            channel_id=payload["channel"],
            sender_id=payload["sender"]["id"],
            sender_username=payload["sender"]["username"],
            body=payload["body"],
            client_msg_id=f"{SYSTEM_ID_PREFIX}{payload['name'] or f'outbox:{row.pk}'}",
            system=True,
            card=payload.get("card"),
        )
    elif row.kind == OutboxEvent.Kind.USER_EVENT:
        publish_user_event(
            user_id=payload["user"],
            event=payload["event"],
            data=payload["data"],
            channel_id=payload["channel"],
            outbox_id=row.pk,
        )
    else:
        publish_channel_event(
            channel_id=payload["channel"], event=payload["event"], data=payload["data"], outbox_id=row.pk
        )
