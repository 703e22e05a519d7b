"""Chat reads: history (the store plus the not-yet-persisted tail), search and each channel's last seq."""

import json
import re

from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings

from chat import keys
from chat.stores import get_message_store
from config.errors import DomainError

# A search is bounded so it cannot be made expensive: its text, its words and its page.
SEARCH_MAX_CHARS = 200
SEARCH_MAX_WORDS = 8
SEARCH_MAX_PAGE = 50

# Punctuation and symbols around a word ("회비를," "(plans)"); inside one ("don't", "3.5") it stays,
# for the store's tokenizer to split the same way as the bodies it indexed.
_SURROUNDING_NON_WORD = re.compile(r"^[\W_]+|[\W_]+$")


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


def search_words(query: str) -> list[str]:
    """The words of a search text: split at spaces, trimmed of punctuation, lower case, each once.

    A "word" of only punctuation or symbols is dropped: no store indexes those.
    """
    words = (_SURROUNDING_NON_WORD.sub("", word).lower() for word in query.split())
    return list(dict.fromkeys(word for word in words if word))


def message_search(*, channel_id: int, query: str, limit: int, before_seq: int | None = None) -> list[dict]:
    """The channel's stored messages with seq < before_seq having every word of the query, newest first.

    Words match in any order, each as the start of a word of the body (chat.stores.base).
    Only the store is searched: a message still in the unpersisted tail (seconds old) is found
    once a worker has stored it. Callers check membership (channels_app.selectors.channel_for_member).
    """
    words = search_words(query)
    if len(words) > SEARCH_MAX_WORDS:
        raise DomainError(
            f"Search for at most {SEARCH_MAX_WORDS} words.",
            fields={"q": [f"Ensure this field has no more than {SEARCH_MAX_WORDS} words."]},
        )
    if not words:
        return []
    return get_message_store().search(channel_id=channel_id, words=words, limit=limit, before_seq=before_seq)


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
