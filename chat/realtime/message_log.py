"""Appending a message to its channel: dedup, seq, durable buffer and fan-out, in one step.

With Redis (production) one Lua script does it atomically across every node: dedup on
(channel, sender, client_msg_id), the channel's next seq, the unpersisted tail, its partition's
persistence stream, and one PUBLISH of the frame to the room (SPUBLISH in a Redis Cluster, where
every key and the topic share the channel's slot: chat/realtime/keys.py). With CHAT_REDIS_REPLICAS_TO_ACK
the send counts as done once that many replicas have it (chat/realtime/redis_scripts.py). The script decodes nothing: the message is
encoded here around a gap for the seq, so nothing it does after the INCR can fail. Celery
drains the stream into the message store (chat/persistence.py).

Without Redis (embedded) the message is written to the SQL store directly, under a
per-process lock, and handed to the in-process hub in seq order.
"""

import asyncio
import json
import logging
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from redis.exceptions import ResponseError

from chat.realtime import keys, sequence
from chat.realtime.hubs import get_hub
from chat.realtime.payloads import message_around_seq, message_payload
from chat.realtime.redis_client import publish_command, serving_node
from chat.realtime.redis_scripts import BatchedScript
from chat.realtime.turn_batch import TurnBatch
from chat.selectors import message_frame
from chat.stores import get_message_store

logger = logging.getLogger(__name__)

DEDUP_TTL_SECONDS = 7 * 24 * 3600

# KEYS: seq, ceiling, dedup, tail, stream, topic, writer.
# ARGV: the message's JSON up to its seq, the JSON after it, dedup TTL, the room payload up to the
# seq, the live frame's own fields (its state now: not edited, unread by everybody but its sender),
# the publish command (PUBLISH, or SPUBLISH in a cluster), the Redis server the node sends to, and
# the room payload from the seq to the frame (chat/realtime/payloads.py, message_around_seq).
# A repeated client_msg_id (of the same sender: the dedup key names both) still writes (the dedup key's expiry): a WAIT after it then covers the
# first message's writes too, whichever connection made them.
# Returns {1, seq} for a new message, {0, message} for a repeated client_msg_id, {2, last} when
# the counter reached its reserved ceiling, {3, last} when another server wrote the counter last
# (a failover: it may be behind seqs the old primary published), or the error NOSEQ when the
# counter must be seeded.
SEND_SCRIPT = """
local existing = redis.call('GET', KEYS[3])
if existing then
  redis.call('EXPIRE', KEYS[3], ARGV[3])
  return {0, existing}
end
local last = redis.call('GET', KEYS[1])
if not last then return redis.error_reply('NOSEQ') end
if redis.call('GET', KEYS[7]) ~= ARGV[7] then return {3, last} end
local ceiling = redis.call('GET', KEYS[2])
if not ceiling or tonumber(last) >= tonumber(ceiling) then return {2, last} end
local seq = redis.call('INCR', KEYS[1])
local encoded = ARGV[1] .. seq .. ARGV[2]
redis.call('SET', KEYS[3], encoded, 'EX', ARGV[3])
redis.call('ZADD', KEYS[4], seq, encoded)
redis.call('XADD', KEYS[5], '*', 'm', encoded)
redis.call(ARGV[6], KEYS[6], ARGV[4] .. seq .. ARGV[8] .. '{"type":"message",' .. string.sub(encoded, 2, -2) .. ARGV[5] .. '}')
return {1, seq}
"""

# KEYS: seq, tail, writer. ARGV: a floor no seq of the channel was handed out above (the store's
# top, the reserved ceiling), the server. After a Redis restart (no counter) the counter starts
# above everything ever sent; after a failover (another server wrote the counter last) it moves
# up to the floor, so no seq the old primary may have published is given again. A counter this
# server already seeded is left alone (another node's seed got there first).
SEED_SCRIPT = """
local last = redis.call('GET', KEYS[1])
if last and redis.call('GET', KEYS[3]) == ARGV[2] then return tonumber(last) end
local top = tonumber(ARGV[1])
local tail = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if tail[2] and tonumber(tail[2]) > top then top = tonumber(tail[2]) end
if last and tonumber(last) > top then top = tonumber(last) end
redis.call('SET', KEYS[1], top)
redis.call('SET', KEYS[3], ARGV[2])
return top
"""

# KEYS: ceiling. ARGV: a newly reserved ceiling; the ceiling only ever rises.
RAISE_CEILING_SCRIPT = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
"""


# What the server adds to messages it posts (chat.services.message_send's `card`): carried live and
# in the tail; history lays the current state over it from the database (chat.selectors).
CARD_KEYS = ("poll", "attachments")


def _encoded_around_seq(message: dict) -> tuple[str, str]:
    """The message's JSON split where its seq goes: {"id":…,"channel":…,"seq": | ,"sender":…}."""
    head = json.dumps({"id": message["id"], "channel": message["channel"]}, separators=(",", ":"), ensure_ascii=False)
    fields = ("sender", "body", "client_msg_id", "created_at", "mentions", "reply_to")
    rest = json.dumps(
        {key: message[key] for key in (*fields, *CARD_KEYS) if key in message},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return head[:-1] + ',"seq":', "," + rest[1:]


async def _floors(channel_ids: list[int]) -> list[int]:
    """No seq of these channels was ever handed out above these: the store's top or the reservation."""
    unique = list(set(channel_ids))
    tops = await sync_to_async(get_message_store().max_seqs)(unique)
    ceilings = await sync_to_async(sequence.seq_ceilings)(channel_ids=unique)
    return [max(tops[channel_id], ceilings[channel_id]) for channel_id in channel_ids]


async def _reserve(requests: list[tuple[int, int]]) -> list[int]:
    floors: dict[int, int] = {}
    for channel_id, floor in requests:
        floors[channel_id] = max(floor, floors.get(channel_id, 0))
    ceilings = await sync_to_async(sequence.seq_reserve)(floors=floors)
    return [ceilings[channel_id] for channel_id, _ in requests]


class _RedisLog:
    """The round trips of the send path, batched per event-loop turn (the Redis client is per loop)."""

    def __init__(self, client):
        self.client = client
        self.send = BatchedScript(
            client,
            SEND_SCRIPT,
            replicas=settings.CHAT_REDIS_REPLICAS_TO_ACK,
            replica_wait_ms=settings.CHAT_REDIS_REPLICA_WAIT_MS,
        )
        self.seed = BatchedScript(client, SEED_SCRIPT)
        self.raise_ceiling = BatchedScript(client, RAISE_CEILING_SCRIPT)
        # A busy node's first seconds bring many new channels at once: one query for them all.
        self.floor = TurnBatch(_floors, one_at_a_time=True)
        self.reserve = TurnBatch(_reserve, one_at_a_time=True)
        self.stored_duplicate = TurnBatch(_stored_duplicates, one_at_a_time=True)

    async def append(self, draft: dict, fresh: dict) -> tuple[dict, bool]:
        channel_id = draft["channel"]
        head, rest = _encoded_around_seq(draft)
        frame_fields = "," + json.dumps(fresh, separators=(",", ":"))[1:-1]
        script_keys = [
            keys.seq_key(channel_id),
            keys.ceiling_key(channel_id),
            keys.dedup_key(channel_id, draft["sender"]["id"], draft["client_msg_id"]),
            keys.tail_key(channel_id),
            keys.channel_persist_stream(channel_id),
            keys.room_topic(channel_id),
            keys.writer_key(channel_id),
        ]
        for _ in range(6):
            before_seq, after_seq = message_around_seq(time.time())
            writer = await serving_node(self.client, keys.seq_key(channel_id))
            try:
                code, value = await self.send(
                    keys=script_keys,
                    args=[
                        head,
                        rest,
                        DEDUP_TTL_SECONDS,
                        before_seq,
                        frame_fields,
                        publish_command(),
                        writer,
                        after_seq,
                    ],
                )
            except ResponseError as error:
                if "NOSEQ" not in str(error):
                    raise
                # Redis lost the dedup keys too, unless the channel never had a message.
                if await self._seed(channel_id, writer):
                    stored = await self.stored_duplicate(draft)
                    if stored is not None:
                        return {**stored, **fresh}, False
                continue
            if code == 1:
                return {**draft, "seq": int(value), **fresh}, True
            if code == 0:
                return {**json.loads(value), **fresh}, False
            if code == 3:
                logger.warning("channel %s: its counter was written by another Redis server; moving it up", channel_id)
                await self._seed(channel_id, writer)
                continue
            ceiling = await self.reserve((channel_id, int(value)))
            await self.raise_ceiling(keys=[keys.ceiling_key(channel_id)], args=[ceiling])
        raise RuntimeError(f"could not allocate a seq in channel {channel_id}")

    async def _seed(self, channel_id: int, writer: str) -> int:
        """Sets the channel's counter up from what was handed out before; returns that floor."""
        floor = await self.floor(channel_id)
        await self.seed(
            keys=[keys.seq_key(channel_id), keys.tail_key(channel_id), keys.writer_key(channel_id)],
            args=[floor, writer],
        )
        return floor


_logs: dict[int, _RedisLog] = {}  # id(client) -> its batches


def _stored_duplicate(draft: dict) -> dict | None:
    return get_message_store().find_by_client_msg_id(
        channel_id=draft["channel"], sender_id=draft["sender"]["id"], client_msg_id=draft["client_msg_id"]
    )


async def _stored_duplicates(drafts: list[dict]) -> list[dict | None]:
    """One thread hop for a turn's lookups: on a fresh Redis every channel's first sends look
    (one hop each, queued on asgiref's one thread, held acks back for seconds)."""
    return await sync_to_async(lambda: [_stored_duplicate(draft) for draft in drafts])()


async def append(draft: dict, *, unread_count: int) -> tuple[dict, bool]:
    """Gives the draft its seq, buffers it durably and fans it out; (message, created).

    A repeated client_msg_id returns the first message with created=False and delivers nothing.
    The message comes back, and goes out live, with its state: new, and unread_count members
    still to read it.
    """
    fresh = {"edited_at": None, "deleted": False, "reactions": {}, "unread_count": unread_count}
    if settings.REDIS_URL:
        from chat.realtime.redis_client import async_redis

        # A pipeline retried by the client itself would WAIT on a connection that wrote nothing.
        client = async_redis(retry=not settings.CHAT_REDIS_REPLICAS_TO_ACK)
        log = _logs.get(id(client))
        if log is None:
            log = _logs[id(client)] = _RedisLog(client)
        return await log.append(draft, fresh)
    return await _append_embedded(draft, fresh)


_embedded_lock = asyncio.Lock()


async def _append_embedded(draft: dict, fresh: dict) -> tuple[dict, bool]:
    async with _embedded_lock:  # one writer at a time: seqs in order, published in order
        stored = await sync_to_async(_stored_duplicate)(draft)
        if stored is not None:
            return {**stored, **fresh}, False
        message = {**await sync_to_async(_insert_next_embedded)(draft), **fresh}
        get_hub().on_payload(message["channel"], message_payload(message["seq"], message_frame(message)))
    return message, True


def _insert_next_embedded(draft: dict) -> dict:
    store = get_message_store()
    message = {**draft, "seq": store.max_seq(channel_id=draft["channel"]) + 1}
    store.insert_many([message])
    return message
