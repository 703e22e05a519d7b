"""What a node hears: its rooms (one per channel with local subscribers) and its users' feeds.

A room's frames are published once (Redis PUBLISH from the send script, or an in-process
call in the embedded mode). Each node subscribes once per room that has local subscribers and
hands the already-encoded frame to each of them, so fan-out never hops per recipient. A user's
feed carries that user's events (transfer_received, ...) to each of their local connections.

Pub/sub is at most once, so live delivery is checked, not trusted (Centrifugo's offsets): a
room knows the next seq it must deliver; a message further ahead waits while the gap is
filled from the unpersisted tail and the store. This module is the whole hub of the embedded
mode; chat/realtime/redis_hub.py feeds it from Redis in production.

Payloads on a room's topic:
    "m <seq> <published_at> <frame json>"   a message of the channel's history
    "e <sender_id> <frame json>"            typing and channel events, not kept (seq 0)
    "x left <user_id>"                      that user's subscriptions end on every node
Payloads on a user's feed:
    "e 0 <frame json>"                      an event for every connection of the user
    "x left <channel_id>"                   the user left that channel (their sends are checked again)
"""

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Protocol

from chat import metrics
from chat.realtime.outbox import Outbound

logger = logging.getLogger(__name__)

FILL_PAGE = 500
MAX_PENDING = 20_000  # frames held behind a gap; past this the room starts over (its members resync)
JOIN_TIMEOUT_SECONDS = 10.0


class Subscriber(Protocol):
    user_id: int

    def deliver(self, channel_id: int, seq: int, frame: Outbound) -> None: ...

    def revoke(self, channel_id: int) -> None:
        """The user is no longer a member: nothing more from this room."""

    def resync(self, channel_id: int) -> None:
        """The node cannot vouch for what it delivered: the client resumes with since_seq."""

    def deliver_event(self, frame: Outbound) -> None:
        """A frame of the user's feed."""

    def forget_membership(self, channel_id: int) -> None:
        """The user left the channel: the next send there checks membership again."""


class Unavailable(Exception):
    """The node cannot reach the message bus; the room cannot be served right now."""


History = Callable[..., Awaitable[list[dict]]]  # (channel_id=, after_seq=, before_seq=, limit=) -> messages
LastSeqs = Callable[[list[int]], Awaitable[dict[int, int]]]
Members = Callable[[list[tuple[int, int]]], Awaitable[set[tuple[int, int]]]]


def message_payload(seq: int, frame_text: str) -> str:
    return f"m {seq} {time.time():.6f} {frame_text}"


def ephemeral_payload(sender_id: int, frame_text: str) -> str:
    return f"e {sender_id} {frame_text}"


def left_payload(user_or_channel_id: int) -> str:
    """On a room's topic: that user left; on a user's feed: they left that channel."""
    return f"x left {user_or_channel_id}"


class Room:
    __slots__ = ("channel_id", "subscribers", "joining", "next_seq", "pending", "fill_to", "filling", "ready")

    def __init__(self, channel_id: int):
        self.channel_id = channel_id
        self.subscribers: set[Subscriber] = set()
        self.joining = 0  # subscribers waiting for the room to be ready: it must not close under them
        self.next_seq = 0  # the seq to deliver next; known once the room is ready
        self.pending: dict[int, Outbound] = {}  # messages that came ahead of a gap
        self.fill_to = 0  # fill the gap up to here even if nothing is pending (after a reconnect)
        self.filling: asyncio.Task | None = None
        self.ready: asyncio.Future | None = None


class Hub:
    """The rooms of one process. On its own it is the embedded mode's whole fan-out."""

    def __init__(self, *, history: History, last_seqs: LastSeqs, members: Members):
        self.history, self.last_seqs, self.members = history, last_seqs, members
        self.rooms: dict[int, Room] = {}
        self.feeds: dict[int, set[Subscriber]] = defaultdict(set)  # user id -> their local connections
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tasks: set[asyncio.Task] = set()  # the loop keeps only weak references to tasks

    # --- subscribers

    async def join(self, channel_id: int, subscriber: Subscriber) -> int:
        """Adds a subscriber once the room is receiving; returns the seq its live frames follow."""
        self.loop = asyncio.get_running_loop()
        deadline = self.loop.time() + JOIN_TIMEOUT_SECONDS
        while True:
            room = self.rooms.get(channel_id)
            if room is None:
                room = self.rooms[channel_id] = Room(channel_id)
                room.ready = self._spawn(self._open(room))
            room.joining += 1
            try:
                await asyncio.wait_for(asyncio.shield(room.ready), max(0.0, deadline - self.loop.time()))
            except Exception as error:
                if self.rooms.get(channel_id) is room and not room.subscribers and room.joining == 1:
                    self._discard(room)
                raise Unavailable(str(error) or type(error).__name__) from error
            finally:
                room.joining -= 1
            if self.rooms.get(channel_id) is room:  # not started over while this one waited
                room.subscribers.add(subscriber)
                return room.next_seq - 1

    async def leave(self, channel_id: int, subscriber: Subscriber) -> None:
        room = self.rooms.get(channel_id)
        if room is None:
            return
        room.subscribers.discard(subscriber)
        if not room.subscribers and not room.joining:
            self._discard(room)

    def _discard(self, room: Room) -> None:
        """The room has nobody left on this node: stop receiving it."""
        del self.rooms[room.channel_id]
        if room.filling is not None and room.filling is not asyncio.current_task():
            room.filling.cancel()
        if not room.ready.done() and not room.joining:
            room.ready.cancel()
        self._spawn(self._close(room))

    async def _open(self, room: Room) -> None:
        room.next_seq = (await self.last_seqs([room.channel_id]))[room.channel_id] + 1
        self._drain_pending(room)
        if room.pending:
            room.filling = self._spawn(self._fill(room))

    async def _close(self, room: Room) -> None:
        pass

    def attach(self, subscriber: Subscriber) -> None:
        """The connection hears its user's feed from now on (best effort: events are not kept)."""
        self.loop = asyncio.get_running_loop()
        feed = self.feeds[subscriber.user_id]
        feed.add(subscriber)
        if len(feed) == 1:
            self._feed_opened(subscriber.user_id)

    def detach(self, subscriber: Subscriber) -> None:
        feed = self.feeds.get(subscriber.user_id)
        if feed is None:
            return
        feed.discard(subscriber)
        if not feed:
            del self.feeds[subscriber.user_id]
            self._feed_closed(subscriber.user_id)

    def _feed_opened(self, user_id: int) -> None:
        pass

    def _feed_closed(self, user_id: int) -> None:
        pass

    def on_user_payload(self, user_id: int, payload: str) -> None:
        subscribers = tuple(self.feeds.get(user_id, ()))
        if payload.startswith("e "):
            frame = Outbound(payload.split(" ", 2)[2])
            for subscriber in subscribers:
                subscriber.deliver_event(frame)
            metrics.frames_out.inc(len(subscribers))
        elif payload.startswith("x left "):
            channel_id = int(payload.rsplit(" ", 1)[1])
            for subscriber in subscribers:
                subscriber.forget_membership(channel_id)

    # --- what arrives on a room's topic

    def on_payload(self, channel_id: int, payload: str) -> None:
        room = self.rooms.get(channel_id)
        if room is None:
            return
        kind = payload[0]
        if kind == "m":
            _, seq, published_at, text = payload.split(" ", 3)
            metrics.delivery_latency.observe(max(0.0, time.time() - float(published_at)))
            self._on_message(room, int(seq), Outbound(text))
        elif kind == "e":
            _, sender_id, text = payload.split(" ", 2)
            self._deliver_ephemeral(room, int(sender_id), Outbound(text))
        elif payload.startswith("x left "):
            self._revoke(room, {int(payload.rsplit(" ", 1)[1])})

    def _on_message(self, room: Room, seq: int, frame: Outbound) -> None:
        if seq < room.next_seq:
            return  # a gap fill delivered it already
        if seq == room.next_seq and room.filling is None and room.ready.done():
            room.next_seq += 1
            self._deliver(room, seq, frame)
            if room.pending:
                self._drain_pending(room)
            return
        room.pending[seq] = frame
        if len(room.pending) > MAX_PENDING:
            self._start_over(room, "too many messages behind a gap")
        elif room.filling is None and room.ready.done():
            room.filling = self._spawn(self._fill(room))

    def _deliver(self, room: Room, seq: int, frame: Outbound) -> None:
        channel_id = room.channel_id
        subscribers = tuple(room.subscribers)
        for subscriber in subscribers:
            subscriber.deliver(channel_id, seq, frame)
        metrics.frames_out.inc(len(subscribers))  # once per room message, not per socket

    def _deliver_ephemeral(self, room: Room, sender_id: int, frame: Outbound) -> None:
        receivers = [subscriber for subscriber in room.subscribers if subscriber.user_id != sender_id]
        for subscriber in receivers:
            subscriber.deliver(room.channel_id, 0, frame)
        metrics.frames_out.inc(len(receivers))

    def _drain_pending(self, room: Room) -> None:
        pending = room.pending
        for seq in [seq for seq in pending if seq < room.next_seq]:
            del pending[seq]
        while room.next_seq in pending:
            seq = room.next_seq
            room.next_seq += 1
            self._deliver(room, seq, pending.pop(seq))

    async def _fill(self, room: Room) -> None:
        """Delivers the missing messages from the tail and the store, then what waited behind them."""
        from chat.selectors import message_frame

        try:
            while True:
                self._drain_pending(room)
                target = max(room.fill_to, min(room.pending) - 1 if room.pending else 0)
                if target < room.next_seq:
                    return
                page = await self.history(
                    channel_id=room.channel_id, after_seq=room.next_seq - 1, before_seq=target + 1, limit=FILL_PAGE
                )
                if self.rooms.get(room.channel_id) is not room:
                    return
                for message in page:
                    if message["seq"] >= room.next_seq:
                        self._skip(room, message["seq"])
                        room.next_seq = message["seq"] + 1
                        self._deliver(room, message["seq"], Outbound(message_frame(message)))
                if page:
                    metrics.gaps_filled.inc()
                if len(page) < FILL_PAGE:
                    # Every seq up to the target was allocated before it was published, and a
                    # message is in the tail or the store from its allocation on: what is not
                    # there now was lost with Redis's data, or refused by the store.
                    self._skip(room, target + 1)
                    room.next_seq = max(room.next_seq, target + 1)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("could not fill a gap in channel %s; its subscribers resync", room.channel_id)
            self._start_over(room, "gap fill failed")
        finally:
            room.filling = None

    def _skip(self, room: Room, up_to: int) -> None:
        missing = up_to - room.next_seq
        if missing > 0:
            metrics.seqs_skipped.inc(missing)
            logger.warning(
                "channel %s: seq %d-%d are in neither the tail nor the store; skipped",
                room.channel_id,
                room.next_seq,
                up_to - 1,
            )

    def _start_over(self, room: Room, reason: str) -> None:
        """The room cannot vouch for its members' streams: they resync, the room reopens."""
        logger.warning("channel %s: %s; %d subscribers resync", room.channel_id, reason, len(room.subscribers))
        metrics.room_resyncs.inc()
        subscribers = tuple(room.subscribers)
        room.subscribers.clear()
        room.pending.clear()
        if self.rooms.get(room.channel_id) is room:
            self._discard(room)
        for subscriber in subscribers:
            subscriber.resync(room.channel_id)

    def _revoke(self, room: Room, user_ids: set[int]) -> None:
        for subscriber in tuple(room.subscribers):
            if subscriber.user_id in user_ids:
                room.subscribers.discard(subscriber)
                subscriber.revoke(room.channel_id)
        if not room.subscribers and not room.joining and self.rooms.get(room.channel_id) is room:
            self._discard(room)

    # --- publishing

    async def publish_ephemeral(self, channel_id: int, sender_id: int, frame_text: str) -> None:
        self.on_payload(channel_id, ephemeral_payload(sender_id, frame_text))

    def publish_from_thread(self, channel_id: int, payload: str) -> None:
        """For sync code (services in worker threads): hand the payload to the hub's loop."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.on_payload, channel_id, payload)

    def publish_to_user_from_thread(self, user_id: int, payload: str) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.on_user_payload, user_id, payload)

    def _spawn(self, coroutine) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task
