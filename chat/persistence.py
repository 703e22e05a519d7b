"""Drains the Redis persistence stream into the message store, at least once.

Entries are acknowledged only after the store has them; the store skips messages it
already holds, so a batch retried after a worker died is harmless. Entries a dead worker
left pending are reclaimed once they have been idle for CHAT_PERSIST_RECLAIM_IDLE_MS.
"""

import json
import os
import socket

from django.conf import settings
from redis.exceptions import ResponseError

from chat import keys, metrics
from chat.redis_client import sync_redis
from chat.stores import get_message_store

CONSUMER_NAME = f"{socket.gethostname()}-{os.getpid()}"


def _ensure_group(client) -> None:
    try:
        client.xgroup_create(keys.PERSIST_STREAM, keys.PERSIST_GROUP, id="0", mkstream=True)
    except ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


def _next_batch(client, batch_size: int) -> list:
    _, reclaimed, _ = client.xautoclaim(
        keys.PERSIST_STREAM,
        keys.PERSIST_GROUP,
        CONSUMER_NAME,
        min_idle_time=settings.CHAT_PERSIST_RECLAIM_IDLE_MS,
        start_id="0-0",
        count=batch_size,
    )
    if reclaimed:
        return reclaimed
    response = client.xreadgroup(keys.PERSIST_GROUP, CONSUMER_NAME, {keys.PERSIST_STREAM: ">"}, count=batch_size)
    return response[0][1] if response else []


def persist_pending_messages(*, batch_size: int = 500, max_batches: int = 100) -> int:
    """Writes buffered messages to the store; returns how many it wrote."""
    if not settings.REDIS_URL:
        return 0  # the embedded mode writes to the store on send
    client = sync_redis()
    _ensure_group(client)
    store = get_message_store()
    written = 0
    for _ in range(max_batches):
        entries = _next_batch(client, batch_size)
        entries = [(entry_id, fields) for entry_id, fields in entries if fields]  # deleted entries come back empty
        if not entries:
            break
        messages = [json.loads(fields[b"m"]) for _, fields in entries]
        store.insert_many(messages)
        entry_ids = [entry_id for entry_id, _ in entries]
        with client.pipeline(transaction=False) as pipe:
            pipe.xack(keys.PERSIST_STREAM, keys.PERSIST_GROUP, *entry_ids)
            pipe.xdel(keys.PERSIST_STREAM, *entry_ids)
            for message in messages:
                pipe.zremrangebyscore(keys.tail_key(message["channel"]), message["seq"], message["seq"])
            pipe.execute()
        written += len(messages)
    metrics.messages_persisted.inc(written)
    metrics.persist_backlog.set(client.xlen(keys.PERSIST_STREAM))
    return written
