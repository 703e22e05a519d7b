"""Chat reads: history (the store plus the not-yet-persisted tail) and each channel's last seq."""

import json

from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings

from chat import keys
from chat.stores import get_message_store


def message_frame(message: dict) -> str:
    return json.dumps({"type": "message", **message}, separators=(",", ":"), ensure_ascii=False)


async def messages_after(
    *, channel_id: int, after_seq: int, before_seq: int | None = None, limit: int = 1000, newest: bool = False
) -> list[dict]:
    """Messages with after_seq < seq < before_seq, ascending, from the store and the tail with no gap.

    The tail is read before the store: a message leaves the tail only after it is stored, so
    anything missing from the first read is in the second.
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


async def channels_last_seq_async(channel_ids: list[int]) -> dict[int, int]:
    """The last seq of each channel: its Redis counter, or the store's top where it has none."""
    found: dict[int, int] = {}
    if settings.REDIS_URL and channel_ids:
        from chat.redis_client import async_redis

        values = await async_redis().mget([keys.seq_key(channel_id) for channel_id in channel_ids])
        found = {channel_id: int(value) for channel_id, value in zip(channel_ids, values, strict=True) if value}
    missing = [channel_id for channel_id in channel_ids if channel_id not in found]
    if missing:
        found.update(await sync_to_async(get_message_store().max_seqs)(missing))
    return found


def channels_last_seq(channel_ids: list[int]) -> dict[int, int]:
    """The same for sync callers (REST views)."""
    return async_to_sync(channels_last_seq_async)(channel_ids)


async def memberships_among_async(pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which (user id, channel id) pairs are memberships, in one query."""
    from channels_app.selectors import channel_memberships_among

    return await database_sync_to_async(channel_memberships_among)(pairs=pairs)
