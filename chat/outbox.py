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
publish and the delete) is one message. Events are numbered in their stream (a channel's, a user's)
and kept before they go out (chat.models.KeptEvent): the hub drops a repeat by its position and
fills what pub/sub lost from the kept ones; they also carry the row id as `outbox_id`.
"""

import logging
import threading
from contextlib import contextmanager
from datetime import timedelta

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from chat.events import event_frame, frame_text, publish_kept_channel_event, publish_kept_user_event
from chat.models import EventCounter, KeptEvent, OutboxEvent
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


def announce_channel_frame(*, channel_id: int, frame: dict) -> None:
    """A frame of its own type (channel_updated, poll, read receipts) to the channel's subscribers,
    kept and numbered as channel events are."""
    _add(OutboxEvent.Kind.CHANNEL_EVENT, {"channel": channel_id, "frame": frame})


def announce_room_payload(*, channel_id: int, payload: str) -> None:
    """A payload of chat/realtime/payloads.py's format for the channel's room topic."""
    _add(OutboxEvent.Kind.ROOM_PAYLOAD, {"to": channel_id, "payload": payload})


def announce_feed_payload(*, user_id: int, payload: str) -> None:
    """A payload of chat/realtime/payloads.py's format for the user's own feed."""
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
    with _relay_lock():
        rows = _numbered(list(OutboxEvent.objects.order_by("pk")[:RELAY_BATCH]))
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


@contextmanager
def _relay_lock():
    """One relay at a time across processes, so rows are numbered and go out in id order. A
    session lock: it outlasts the numbering's transaction (SQLite: one process, _relay_running)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_RELAY_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_RELAY_LOCK_KEY])


_KEPT = (OutboxEvent.Kind.CHANNEL_EVENT, OutboxEvent.Kind.USER_EVENT)


def _numbered(rows: list[OutboxEvent]) -> list[OutboxEvent]:
    """Gives each event not numbered yet the next position in its stream and keeps it, committed
    before anything is published: a node that hears position n, or reconnects, finds 1..n kept.
    A row published again after a crash keeps its position, so nodes drop the repeat."""
    with transaction.atomic():
        for row in rows:
            if row.kind not in _KEPT or "position" in row.payload:
                continue
            stream, text = _stream_and_frame(row)
            counter, _ = EventCounter.objects.get_or_create(stream=stream)
            counter.position += 1
            counter.save(update_fields=["position"])
            KeptEvent.objects.create(stream=stream, position=counter.position, frame=text)
            row.payload = {**row.payload, "position": counter.position, "frame_text": text}
            row.save(update_fields=["payload"])
    return rows


def _stream_and_frame(row: OutboxEvent) -> tuple[str, str]:
    payload = row.payload
    if row.kind == OutboxEvent.Kind.USER_EVENT:
        frame = event_frame(payload["event"], payload["data"], payload["channel"], row.pk)
        return KeptEvent.user_stream(payload["user"]), frame_text(frame)
    frame = payload.get("frame") or event_frame(payload["event"], payload["data"], payload["channel"], row.pk)
    return KeptEvent.channel_stream(payload["channel"]), frame_text({**frame, "channel": payload["channel"]})


def kept_events_trim() -> int:
    """Kept events older than CHAT_EVENT_HISTORY_SECONDS go: no node is that far behind."""
    cutoff = timezone.now() - timedelta(seconds=settings.CHAT_EVENT_HISTORY_SECONDS)
    return KeptEvent.objects.filter(created_at__lt=cutoff).delete()[0]


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
        publish_kept_user_event(user_id=payload["user"], position=payload["position"], text=payload["frame_text"])
    else:
        publish_kept_channel_event(
            channel_id=payload["channel"], position=payload["position"], text=payload["frame_text"]
        )
