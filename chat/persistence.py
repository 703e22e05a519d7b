"""Drains the Redis persistence streams (one per partition, chat/realtime/keys.py) into the message store,
at least once.

Entries are acknowledged only after the store has them; the store skips messages it
already holds, so a batch retried after a worker died is harmless. Entries a dead worker
left pending are reclaimed once they have been idle for CHAT_PERSIST_RECLAIM_IDLE_MS.
A message the store refuses becomes a dead letter (chat.models.DeadLetter: admin, metric,
alert) and the rest of its batch is stored: one bad message never blocks the stream.
"""

import json
import logging
import os
import socket
from collections import defaultdict

from django.conf import settings

from chat import metrics
from chat.models import DeadLetter
from chat.realtime import keys
from chat.realtime.redis_client import sync_redis
from chat.redaction import deleted_bodies_forget
from chat.stores import get_message_store

logger = logging.getLogger(__name__)

CONSUMER_NAME = f"{socket.gethostname()}-{os.getpid()}"


def _ensure_groups(client, streams: list[str]) -> None:
    with client.pipeline(transaction=False) as pipe:
        for stream in streams:
            pipe.xgroup_create(stream, keys.PERSIST_GROUP, id="0", mkstream=True)
        for outcome in pipe.execute(raise_on_error=False):
            if isinstance(outcome, Exception) and "BUSYGROUP" not in str(outcome):
                raise outcome


def _next_batch(client, streams: list[str], batch_size: int) -> list[tuple[str, bytes, dict]]:
    """(stream, entry id, fields) of every partition: entries a dead worker left pending first,
    then new ones. One pipeline each (one round trip per Redis, in a cluster per shard)."""
    with client.pipeline(transaction=False) as pipe:
        for stream in streams:
            pipe.xautoclaim(
                stream,
                keys.PERSIST_GROUP,
                CONSUMER_NAME,
                min_idle_time=settings.CHAT_PERSIST_RECLAIM_IDLE_MS,
                start_id="0-0",
                count=batch_size,
            )
        reclaimed = [(stream, claim[1]) for stream, claim in zip(streams, pipe.execute(), strict=True)]
    if any(entries for _, entries in reclaimed):
        return [(stream, entry_id, fields) for stream, entries in reclaimed for entry_id, fields in entries]
    with client.pipeline(transaction=False) as pipe:
        for stream in streams:
            pipe.xreadgroup(keys.PERSIST_GROUP, CONSUMER_NAME, {stream: ">"}, count=batch_size)
        responses = pipe.execute()
    return [
        (stream, entry_id, fields)
        for stream, response in zip(streams, responses, strict=True)
        for entry_id, fields in (response[0][1] if response else [])
    ]


def persist_pending_messages(*, batch_size: int = 500, max_batches: int = 100) -> int:
    """Writes buffered messages to the store; returns how many it wrote.

    Every partition's stream is read in each batch (batch_size entries at most from each)."""
    if not settings.REDIS_URL:
        return 0  # the embedded mode writes to the store on send
    client = sync_redis()
    streams = keys.persist_streams()
    _ensure_groups(client, streams)
    store = get_message_store()
    written = 0
    for _ in range(max_batches):
        entries = _next_batch(client, streams, batch_size)
        entries = [(stream, entry_id, fields) for stream, entry_id, fields in entries if fields]  # deleted: empty
        if not entries:
            break
        messages, unreadable = _decode(entries)
        refused = unreadable + store.insert_many(messages)
        deleted_bodies_forget(store=store, messages=messages)
        _keep_dead_letters(refused)
        by_stream = defaultdict(list)
        for stream, entry_id, _fields in entries:
            by_stream[stream].append(entry_id)
        with client.pipeline(transaction=False) as pipe:
            for stream, entry_ids in by_stream.items():
                pipe.xack(stream, keys.PERSIST_GROUP, *entry_ids)
                pipe.xdel(stream, *entry_ids)
            for message in messages:
                pipe.zremrangebyscore(keys.tail_key(message["channel"]), message["seq"], message["seq"])
            pipe.execute()
        written += len(entries) - len(refused)
    metrics.messages_persisted.inc(written)
    metrics.persist_backlog.set(persist_backlog(client))
    return written


def persist_backlog(client) -> int:
    """Entries in every partition's stream."""
    with client.pipeline(transaction=False) as pipe:
        for stream in keys.persist_streams():
            pipe.xlen(stream)
        return sum(pipe.execute())


def _decode(entries: list) -> tuple[list[dict], list[tuple[dict, str]]]:
    """The stream's messages, and the entries that are not a message at all (refused as such)."""
    messages, unreadable = [], []
    for _stream, entry_id, fields in entries:
        raw = fields.get(b"m", b"")
        try:
            message = json.loads(raw)
            int(message["channel"]), int(message["seq"])
        except (ValueError, TypeError, KeyError) as error:
            entry = {"id": f"stream:{entry_id.decode()}", "raw": raw.decode("utf-8", "replace")}
            unreadable.append((entry, f"unreadable stream entry: {error!r}"))
            continue
        messages.append(message)
    return messages, unreadable


def _keep_dead_letters(refused: list[tuple[dict, str]]) -> None:
    if not refused:
        return
    DeadLetter.objects.bulk_create(
        [
            DeadLetter(
                message_id=str(message.get("id", "")),
                channel_id=message.get("channel") or 0,
                seq=message.get("seq") or 0,
                payload=json.dumps(message),  # ASCII: whatever the store refused, this column takes
                error=reason[:2000],
            )
            for message, reason in refused
        ],
        ignore_conflicts=True,  # a batch retried after a crash refuses the same messages again
    )
    metrics.dead_letters.inc(len(refused))
    logger.error("the message store refused %d messages; kept as dead letters", len(refused))
