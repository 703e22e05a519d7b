"""The chat message path: dedup, seq allocation, durable buffer, fan-out, in one step.

With Redis (production) one Lua script does it atomically across every process:
dedup on (channel, client_msg_id), INCR the channel's seq, add the message to the
channel's unpersisted tail and to the persistence stream, and PUBLISH the encoded frame
to the room. Fan-out comes first; Celery drains the stream into the message store.
Without Redis (embedded) the message is written to the SQL store directly, under a
per-process lock, and handed to the in-process hub.
"""

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime

from asgiref.sync import sync_to_async
from django.conf import settings

from chat import hub, keys
from chat.script_batch import ScriptBatcher
from chat.stores import get_message_store
from chat.turn_batch import TurnBatch

DEDUP_TTL_SECONDS = 7 * 24 * 3600

# KEYS: seq, dedup, tail, stream, topic. ARGV: message JSON without seq, dedup ttl, publish time.
# Returns {1, message} for a new message, {0, message} for a repeated client_msg_id,
# or the error "NOSEQ" when the counter must first be seeded from the store.
_SEND_SCRIPT = """
local existing = redis.call('GET', KEYS[2])
if existing then return {0, existing} end
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('NOSEQ') end
local seq = redis.call('INCR', KEYS[1])
local message = cjson.decode(ARGV[1])
message['seq'] = seq
local encoded = cjson.encode(message)
redis.call('SET', KEYS[2], encoded, 'EX', tonumber(ARGV[2]))
redis.call('ZADD', KEYS[3], seq, encoded)
redis.call('XADD', KEYS[4], '*', 'm', encoded)
message['type'] = 'message'
redis.call('PUBLISH', KEYS[5], seq .. ' ' .. message['sender']['id'] .. ' ' .. ARGV[3] .. ' ' .. cjson.encode(message))
return {1, encoded}
"""

# KEYS: seq, tail. ARGV: the channel's top seq in the store. After a Redis restart the counter
# starts again above everything already sent: stored, or still in the tail.
_SEED_SCRIPT = """
local top = tonumber(ARGV[1])
local tail = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if tail[2] and tonumber(tail[2]) > top then top = tonumber(tail[2]) end
redis.call('SET', KEYS[1], top, 'NX')
return top
"""


async def _stored_tops(channel_ids: list[int]) -> list[int]:
    tops = await sync_to_async(get_message_store().max_seqs)(list(set(channel_ids)))
    return [tops[channel_id] for channel_id in channel_ids]


class _LoopBatches:
    """The round trips of the send path, batched per event-loop turn (the Redis client is per loop too)."""

    def __init__(self, client):
        # EVALSHA sends the script's hash, not its 700 bytes.
        self.send_script = ScriptBatcher(client.register_script(_SEND_SCRIPT))
        self.seed_script = ScriptBatcher(client.register_script(_SEED_SCRIPT))
        # Every new channel, and every channel after Redis lost its counters, needs its stored top
        # once: the first seconds of a busy node would otherwise queue a query per channel.
        self.stored_top = TurnBatch(_stored_tops, one_at_a_time=True)


_loop_batches: dict[int, _LoopBatches] = {}  # id(client) -> its batches


def _batches(client) -> _LoopBatches:
    batches = _loop_batches.get(id(client))
    if batches is None:
        batches = _loop_batches[id(client)] = _LoopBatches(client)
    return batches


def _new_message(*, channel_id: int, sender_id: int, sender_username: str, body: str, client_msg_id: str) -> dict:
    return {
        "id": uuid.uuid4().hex,
        "channel": channel_id,
        "sender": {"id": sender_id, "username": sender_username},
        "body": body,
        "client_msg_id": client_msg_id,
        "created_at": datetime.now(UTC).isoformat(),
    }


def message_frame(message: dict) -> str:
    return json.dumps({"type": "message", **message}, separators=(",", ":"))


async def message_send(
    *, channel_id: int, sender_id: int, sender_username: str, body: str, client_msg_id: str
) -> tuple[dict, bool]:
    """Stores and fans out one message; returns (message, created). The caller has checked membership.

    A repeated client_msg_id returns the first message with created=False and delivers nothing.
    """
    draft = _new_message(
        channel_id=channel_id,
        sender_id=sender_id,
        sender_username=sender_username,
        body=body,
        client_msg_id=client_msg_id,
    )
    if settings.REDIS_URL:
        return await _send_with_redis(draft)
    return await _send_embedded(draft)


async def _send_with_redis(draft: dict) -> tuple[dict, bool]:
    from redis.exceptions import ResponseError

    from chat.redis_client import async_redis

    client = async_redis()
    batches = _batches(client)
    channel_id = draft["channel"]
    script_keys = [
        keys.seq_key(channel_id),
        keys.dedup_key(channel_id, draft["client_msg_id"]),
        keys.tail_key(channel_id),
        keys.PERSIST_STREAM,
        keys.room_topic(channel_id),
    ]
    for _ in range(3):
        try:
            created, encoded = await batches.send_script(
                keys=script_keys, args=[json.dumps(draft), DEDUP_TTL_SECONDS, f"{time.time():.6f}"]
            )
        except ResponseError as error:
            if "NOSEQ" not in str(error):
                raise
            stored_top = await batches.stored_top(channel_id)
            if stored_top:  # Redis lost the counter and the dedup keys: this send may be stored already
                stored = await sync_to_async(_stored_duplicate)(draft)
                if stored is not None:
                    return stored, False
            await batches.seed_script(keys=[keys.seq_key(channel_id), keys.tail_key(channel_id)], args=[stored_top])
            continue
        return json.loads(encoded), bool(created)
    raise RuntimeError(f"could not seed the seq counter of channel {channel_id}")


def _stored_duplicate(draft: dict) -> dict | None:
    return get_message_store().find_by_client_msg_id(channel_id=draft["channel"], client_msg_id=draft["client_msg_id"])


_embedded_lock = asyncio.Lock()


async def _send_embedded(draft: dict) -> tuple[dict, bool]:
    async with _embedded_lock:
        stored = await sync_to_async(_stored_duplicate)(draft)
        if stored is not None:
            return stored, False
        message = await sync_to_async(_insert_next_embedded)(draft)
    await hub.get_hub().publish(message["channel"], message["seq"], message["sender"]["id"], message_frame(message))
    return message, True


def _insert_next_embedded(draft: dict) -> dict:
    store = get_message_store()
    message = {**draft, "seq": store.max_seq(channel_id=draft["channel"]) + 1}
    store.insert_many([message])
    return message


async def channel_last_seq(channel_id: int) -> int:
    if settings.REDIS_URL:
        from chat.redis_client import async_redis

        client = async_redis()
        value = await client.get(keys.seq_key(channel_id))
        if value is not None:
            return int(value)
        return await _batches(client).stored_top(channel_id)  # a channel nobody has written to since
    return await sync_to_async(get_message_store().max_seq)(channel_id=channel_id)


async def messages_after(
    *, channel_id: int, after_seq: int, before_seq: int | None = None, limit: int = 1000, newest: bool = False
) -> list[dict]:
    """History from the store plus the not-yet-persisted tail, with no gap between them.

    The tail is read before the store: a message leaves the tail only after it is stored,
    so anything missing from the first read is in the second.
    """
    tail: list[dict] = []
    if settings.REDIS_URL:
        from chat.redis_client import async_redis

        upper = f"({before_seq}" if before_seq is not None else "+inf"
        raw = await async_redis().zrangebyscore(keys.tail_key(channel_id), f"({after_seq}", upper)
        tail = [json.loads(item) for item in raw]
    stored = await sync_to_async(get_message_store().range)(
        channel_id=channel_id, after_seq=after_seq, before_seq=before_seq, limit=limit, newest=newest
    )
    by_seq = {message["seq"]: message for message in tail}
    by_seq.update({message["seq"]: message for message in stored})
    ordered = [by_seq[seq] for seq in sorted(by_seq)]
    return ordered[-limit:] if newest else ordered[:limit]


def channels_last_seq(channel_ids: list[int]) -> dict[int, int]:
    """The last seq of several channels at once (sync, for REST views)."""
    found: dict[int, int] = {}
    if settings.REDIS_URL and channel_ids:
        from chat.redis_client import sync_redis

        values = sync_redis().mget([keys.seq_key(channel_id) for channel_id in channel_ids])
        found = {
            channel_id: int(value) for channel_id, value in zip(channel_ids, values, strict=True) if value is not None
        }
    missing = [channel_id for channel_id in channel_ids if not found.get(channel_id)]
    return {**found, **get_message_store().max_seqs(missing)}
