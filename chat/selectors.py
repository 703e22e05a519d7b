"""Chat reads: history (the store plus the not-yet-persisted tail, with what became of each
message since: edits, deletion, reactions, and how many members have not read it), search,
the changes a client missed, and each channel's last seq and version."""

import json
import re
import time

from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.models import ChannelVersion, EventCounter, KeptEvent, MessageState, OutboxEvent, Poll
from chat.realtime import keys
from chat.realtime.turn_batch import TurnBatch
from chat.stores import get_message_store
from core.api.errors import DomainError, NotFound

# A search is bounded so it cannot be made expensive: its text, its words and its page.
SEARCH_MAX_CHARS = 200
SEARCH_MAX_WORDS = 8
SEARCH_MAX_PAGE = 50

# Punctuation and symbols around a word ("회비를," "(plans)"); inside one ("don't", "3.5") it stays,
# for the store's tokenizer to split the same way as the bodies it indexed.
_SURROUNDING_NON_WORD = re.compile(r"^[\W_]+|[\W_]+$")
_WORD = re.compile(r"[^\W_]+")

# Reads that REST views reach too run through sync_to_async, in the view's own thread and
# connection: channels' database_sync_to_async closes the thread's connection around each call,
# which a view inside a transaction cannot survive. Those only the WebSocket side makes use it.
MEMBER_COUNT_SECONDS = 30.0  # how long a node trusts a channel's member count for live frames


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
        from chat.realtime.redis_client import async_redis

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
    What a reader sees is searched: an edited message by its new body, a deleted one not at all.
    Only the store is searched: a message still in the unpersisted tail (seconds old) is found
    once a worker has stored it, unless it was edited (edits are found by their new body at once). Callers check membership (channels_app.selectors.channel_for_member).
    """
    words = search_words(query)
    if len(words) > SEARCH_MAX_WORDS:
        raise DomainError(
            _("Search for at most %(count)d words.") % {"count": SEARCH_MAX_WORDS},
            fields={"q": [_("Ensure this field has no more than %(count)d words.") % {"count": SEARCH_MAX_WORDS}]},
        )
    if not words:
        return []
    store = get_message_store()
    found = {message["seq"]: message for message in _edited_matching(channel_id, words, limit, before_seq, store)}
    # The store matches original bodies: a hit since edited away or deleted is dropped, so
    # read on until the page is full or the store has no more.
    upper = before_seq
    while True:
        hits = store.search(channel_id=channel_id, words=words, limit=limit, before_seq=upper)
        for message in _with_state(channel_id, hits):
            edited_away = message["edited_at"] and not _body_has_every_word(message["body"], words)
            if not message["deleted"] and not edited_away:
                found.setdefault(message["seq"], message)
        if len(hits) < limit or len(found) >= limit:
            break
        upper = hits[-1]["seq"]
    return [found[seq] for seq in sorted(found, reverse=True)[:limit]]


def _edited_matching(channel_id: int, words: list[str], limit: int, before_seq: int | None, store) -> list[dict]:
    """Edited messages whose new body has every word (the store indexes only the bodies as sent)."""
    states = MessageState.objects.filter(channel_id=channel_id, edited_at__isnull=False, deleted=False)
    if before_seq is not None:
        states = states.filter(seq__lt=before_seq)
    for word in words:
        states = states.filter(body__icontains=word)  # a superset; word starts are checked below
    matching = [state for state in states.order_by("-seq")[: limit * 4] if _body_has_every_word(state.body, words)][
        :limit
    ]
    originals = [store.find(channel_id=channel_id, message_id=state.message_id) for state in matching]
    # An edit can come before a worker stored the original: that one is still in the tail.
    unstored = {state.message_id for state, original in zip(matching, originals, strict=True) if not original}
    seqs = [state.seq for state in matching if state.message_id in unstored]
    originals += [message for message in _tail_at(channel_id, seqs) if message["id"] in unstored]
    return _with_state(channel_id, [message for message in originals if message])


def _tail_at(channel_id: int, seqs: list[int]) -> list[dict]:
    """The messages of these seqs still in the channel's unpersisted tail (production only)."""
    if not (settings.REDIS_URL and seqs):
        return []
    from chat.realtime.redis_client import sync_redis

    raw = sync_redis().zrangebyscore(keys.tail_key(channel_id), min(seqs), max(seqs))
    return [json.loads(item) for item in raw]


def _body_has_every_word(body: str, words: list[str]) -> bool:
    """The stores' rule in Python: each part of each word starts some word of the body."""
    body_words = _WORD.findall(body.lower())
    return all(
        any(body_word.startswith(part) for body_word in body_words) for word in words for part in _WORD.findall(word)
    )


async def channels_last_seq_async(channel_ids: list[int]) -> dict[int, int]:
    """The last seq of each channel: its Redis counter, or the store's top where it has none."""
    found: dict[int, int] = {}
    if settings.REDIS_URL and channel_ids:
        from chat.realtime.redis_client import get_many

        values = await get_many([keys.seq_key(channel_id) for channel_id in channel_ids])
        found = {channel_id: int(value) for channel_id, value in zip(channel_ids, values, strict=True) if value}
    missing = [channel_id for channel_id in channel_ids if channel_id not in found]
    if missing:
        found.update(await sync_to_async(get_message_store().max_seqs)(missing))
    return found


def channels_last_seq(channel_ids: list[int]) -> dict[int, int]:
    """The same for sync callers (REST views)."""
    return async_to_sync(channels_last_seq_async)(channel_ids)


def channels_last_message(last_seqs: dict[int, int]) -> dict[int, dict]:
    """The newest message of each channel as its readers see it (edited or deleted), for the channel
    list: one query to the store and one for the states; a message sent seconds ago that the worker
    has not stored yet comes from the channel's Redis tail."""
    if not last_seqs:
        return {}
    newest = get_message_store().latest(list(last_seqs))
    for channel_id, seq in last_seqs.items():
        if seq and newest.get(channel_id, {}).get("seq", 0) < seq:
            for message in _tail_at(channel_id, [seq]):
                if message["seq"] == seq:
                    newest[channel_id] = message
    ids = [message["id"] for message in newest.values()]
    states = {state.message_id: state for state in MessageState.objects.filter(message_id__in=ids)}
    return {channel_id: _current(message, states.get(message["id"]), []) for channel_id, message in newest.items()}


async def memberships_among_async(pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which (user id, channel id) pairs are memberships, in one query."""
    from channels_app.selectors import channel_memberships_among

    return await database_sync_to_async(channel_memberships_among)(pairs=pairs)


def message_get(*, channel_id: int, message_id: str) -> dict | None:
    """One message of the channel, from the tail or the store, with its current state."""
    found = None
    if settings.REDIS_URL:
        from chat.realtime.redis_client import sync_redis

        for raw in sync_redis().zrange(keys.tail_key(channel_id), 0, -1):  # seconds of messages
            candidate = json.loads(raw)
            if candidate["id"] == message_id:
                found = candidate
                break
    if found is None:
        found = get_message_store().find(channel_id=channel_id, message_id=message_id)
    return None if found is None else _with_state(channel_id, [found])[0]


async def history(
    *, channel_id: int, after_seq: int, before_seq: int | None = None, limit: int = 1000, newest: bool = False
) -> list[dict]:
    """What a reader sees: messages_after with each message's current state and unread count."""
    messages = await messages_after(
        channel_id=channel_id, after_seq=after_seq, before_seq=before_seq, limit=limit, newest=newest
    )
    return await sync_to_async(_with_state)(channel_id, messages) if messages else messages


def _with_state(channel_id: int, messages: list[dict]) -> list[dict]:
    """Lays edits, deletions, reactions and cards (polls) over the messages and counts who has not
    read each (two queries, and one more for the polls of a page that has any)."""
    from channels_app.selectors import channel_read_markers

    if not messages:
        return []
    seqs = [message["seq"] for message in messages]
    states = {
        state.message_id: state
        for state in MessageState.objects.filter(channel_id=channel_id, seq__gte=min(seqs), seq__lte=max(seqs))
    }
    markers = channel_read_markers(channel_id=channel_id)
    current = [_current(message, states.get(message["id"]), markers) for message in messages]
    poll_ids = {message["id"]: _poll_card_id(message) for message in current if _poll_card_id(message)}
    if poll_ids:
        polls = {poll.pk: poll_data(poll) for poll in _polls().filter(channel_id=channel_id, pk__in=poll_ids.values())}
        for message in current:
            if poll_ids.get(message["id"]) in polls:
                message["poll"] = polls[poll_ids[message["id"]]]
    return current


POLL_CARD_PREFIX = "sys:poll:"  # the card's client_msg_id (chat.polls); only the server writes sys: ids


def _poll_card_id(message: dict) -> int | None:
    client_msg_id = message["client_msg_id"] or ""
    suffix = client_msg_id.removeprefix(POLL_CARD_PREFIX)
    return int(suffix) if client_msg_id.startswith(POLL_CARD_PREFIX) and suffix.isdigit() else None


def _polls():
    return Poll.objects.select_related("created_by").prefetch_related("options", "votes__user")


def poll_get(*, poll_id: int) -> Poll:
    return _polls().get(pk=poll_id)


def poll_for_member(*, user, poll_id: int) -> Poll:
    from channels_app.selectors import channel_for_member

    poll = _polls().filter(pk=poll_id).first()
    if poll is None:
        raise NotFound(_("No such poll."))
    channel_for_member(user=user, channel_id=poll.channel_id)
    return poll


def poll_data(poll: Poll) -> dict:
    """What members see of a poll: counts per option and who chose what (from prefetched rows)."""
    votes = list(poll.votes.all())
    chosen: dict[int, list[int]] = {}
    voters: dict[int, dict] = {}
    for vote in sorted(votes, key=lambda vote: vote.pk):
        chosen.setdefault(vote.user_id, []).append(vote.option_id)
        voters[vote.user_id] = {"id": vote.user_id, "username": vote.user.username}
    return {
        "id": poll.pk,
        "channel": poll.channel_id,
        "question": poll.question,
        "options": [
            {"id": option.pk, "text": option.text, "votes": sum(1 for vote in votes if vote.option_id == option.pk)}
            for option in poll.options.all()
        ],
        "multiple": poll.multiple,
        "closed": poll.is_closed,
        "closes_at": poll.closes_at.isoformat() if poll.closes_at else None,
        "created_by": {"id": poll.created_by_id, "username": poll.created_by.username},
        "voters": [{"user": voters[user_id], "options": sorted(chosen[user_id])} for user_id in chosen],
    }


def _current(message: dict, state: MessageState | None, markers: list[tuple[int, int]]) -> dict:
    current = {**message, "edited_at": None, "deleted": False, "reactions": {}}
    current.setdefault("mentions", [])
    current.setdefault("reply_to", None)
    current.setdefault("attachments", [])
    if state is not None:
        current["reactions"] = state.reactions
        if state.edited_at is not None:
            current.update(body=state.body, mentions=state.mentions or [], edited_at=state.edited_at.isoformat())
        if state.deleted:
            current.update(body=None, deleted=True, mentions=[], reactions={}, attachments=[])
    sender = message["sender"]["id"]
    current["unread_count"] = sum(1 for user_id, seq in markers if user_id != sender and seq < message["seq"])
    return current


def change_frames(state: MessageState, *, emoji: str | None = None) -> list[dict]:
    """The frames that bring a client that has the message up to this state. Live, a reaction's
    `emoji`: its frame carries that emoji's count alone (a message may hold 20 of them, and every
    subscriber gets every toggle); a client catching up gets the whole map once."""
    common = {"channel": state.channel_id, "id": state.message_id, "seq": state.seq, "version": state.version}
    if state.deleted:
        return [{"type": "message_deleted", **common}]
    if emoji is not None:
        return [{"type": "reactions", **common, "emoji": emoji, "count": state.reactions.get(emoji, 0)}]
    frames = []
    if state.edited_at is not None:
        frames.append(
            {
                "type": "message_edited",
                **common,
                "body": state.body,
                "mentions": state.mentions or [],
                "edited_at": state.edited_at.isoformat(),
            }
        )
    frames.append({"type": "reactions", **common, "reactions": state.reactions})
    return frames


def changes_after(
    *, channel_id: int, after_version: int, up_to_seq: int | None = None, until_version: int | None = None
):
    """States changed after `after_version` (oldest change first), of messages up to `up_to_seq`."""
    states = MessageState.objects.filter(channel_id=channel_id, version__gt=after_version)
    if up_to_seq is not None:
        states = states.filter(seq__lte=up_to_seq)
    if until_version is not None:
        states = states.filter(version__lte=until_version)
    return list(states.order_by("version"))


async def channels_version_async(channel_ids: list[int]) -> dict[int, int]:
    """Each channel's last change version (0 for one never changed)."""

    def read() -> dict[int, int]:
        found = dict(ChannelVersion.objects.filter(channel_id__in=channel_ids).values_list("channel_id", "version"))
        return {channel_id: found.get(channel_id, 0) for channel_id in channel_ids}

    return await database_sync_to_async(read)()


async def _member_counts(channel_ids: list[int]) -> list[int]:
    from channels_app.selectors import channel_member_counts

    counts = await sync_to_async(channel_member_counts)(channel_ids=list(set(channel_ids)))
    return [counts[channel_id] for channel_id in channel_ids]


_member_count = TurnBatch(_member_counts, one_at_a_time=True)
_member_counts_seen: dict[int, tuple[float, int]] = {}


async def channel_member_count(channel_id: int) -> int:
    """Members of the channel, as this node saw them at most MEMBER_COUNT_SECONDS ago (for the
    unread count of a live message: everybody but its sender has it still to read)."""
    seen = _member_counts_seen.get(channel_id)
    if seen is not None and time.monotonic() - seen[0] < MEMBER_COUNT_SECONDS:
        return seen[1]
    count = await _member_count(channel_id)
    _member_counts_seen[channel_id] = (time.monotonic(), count)
    return count


async def message_frames_after(channel_id: int, after_seq: int, up_to: int, limit: int) -> list[tuple[int, list[str]]]:
    """A gap of a room's messages, as (seq, [frame]) (chat/realtime/hub.py fills gaps with it)."""
    messages = await history(channel_id=channel_id, after_seq=after_seq, before_seq=up_to + 1, limit=limit)
    return [(message["seq"], [message_frame(message)]) for message in messages]


async def change_frames_after(
    channel_id: int, after_version: int, up_to: int, limit: int
) -> list[tuple[int, list[str]]]:
    """A gap of a room's changes, as (version, [frame, ...]) from each changed message's state now."""

    def read() -> list:
        return changes_after(channel_id=channel_id, after_version=after_version, until_version=up_to)[:limit]

    states = await database_sync_to_async(read)()
    return [(state.version, [_frame_text(frame) for frame in change_frames(state)]) for state in states]


def _kept_after(stream: str, after: int, up_to: int, limit: int) -> list[tuple[int, list[str]]]:
    rows = KeptEvent.objects.filter(stream=stream, position__gt=after, position__lte=up_to).order_by("position")
    return [(position, [frame]) for position, frame in rows.values_list("position", "frame")[:limit]]


async def channel_event_frames_after(channel_id: int, after: int, up_to: int, limit: int) -> list:
    """A gap of a room's kept events (chat/outbox.py numbers them), as (position, [frame])."""
    return await database_sync_to_async(_kept_after)(KeptEvent.channel_stream(channel_id), after, up_to, limit)


async def user_event_frames_after(user_id: int, after: int, up_to: int, limit: int) -> list:
    """A gap of a user's feed, as (position, [frame])."""
    return await database_sync_to_async(_kept_after)(KeptEvent.user_stream(user_id), after, up_to, limit)


def _last_positions(streams: dict) -> dict:
    """{owner id: stream name} -> {owner id: the stream's last position (0 for none yet)}."""
    found = dict(EventCounter.objects.filter(stream__in=streams.values()).values_list("stream", "position"))
    return {owner: found.get(stream, 0) for owner, stream in streams.items()}


async def channels_last_event_async(channel_ids: list[int]) -> dict[int, int]:
    return await database_sync_to_async(_last_positions)({i: KeptEvent.channel_stream(i) for i in channel_ids})


async def users_last_event_async(user_ids: list[int]) -> dict[int, int]:
    return await database_sync_to_async(_last_positions)({i: KeptEvent.user_stream(i) for i in user_ids})


def _frame_text(frame: dict) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def outbox_backlog() -> tuple[int, float]:
    """Announcements waiting in the outbox (chat/outbox.py) and the age in seconds of the oldest."""
    found = OutboxEvent.objects.aggregate(count=Count("pk"), oldest=Min("created_at"))
    age = (timezone.now() - found["oldest"]).total_seconds() if found["oldest"] else 0.0
    return found["count"], max(0.0, age)
