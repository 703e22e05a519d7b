"""What a node hears: its rooms (one per channel with local subscribers) and its users' feeds.

A room's frames are published once (Redis PUBLISH from the send script, or through the broker). Each node subscribes once per room that has local subscribers and
hands the already-encoded frame to each of them, so fan-out never hops per recipient. A user's
feed carries that user's events (transfer_received, ...) to each of their local connections.

Pub/sub is at most once, so live delivery is checked, not trusted (Centrifugo's offsets): a
room knows the next seq it must deliver; a message further ahead waits while the gap is
filled from the unpersisted tail and the store. Changes to sent messages (edits, deletions,
reactions) are a second stream of the room, ordered by the channel's change version and filled
from the database the same way. Channel events the outbox relay numbered and kept (chat/outbox.py)
are a third, by their position; a user's feed is a stream of its kept events the same way. So
after a broken subscription (the broker calls recover) every stream is filled up to its top, and
nothing arrives twice. The hub holds a broker (chat/realtime/broker.py: in memory in the embedded
mode, Redis or a Redis Cluster in production) and never asks which.

What goes over the topics: chat/realtime/payloads.py.
"""

import asyncio
import contextvars
import functools
import json
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Protocol

from chat import metrics
from chat.realtime import keys, payloads
from chat.realtime.background import spawn
from chat.realtime.broker import Broker
from chat.realtime.outbox import Outbound
from chat.realtime.presence import Presence
from chat.realtime.protocol import encode
from chat.realtime.receipts import ReadReceipts

logger = logging.getLogger(__name__)

FILL_PAGE = 500
MAX_PENDING = 20_000  # frames held behind a gap; past this the room starts over (its members resync)
JOIN_TIMEOUT_SECONDS = 10.0


class Subscriber(Protocol):
    user_id: int

    def deliver(self, channel_id: int, seq: int, frame: Outbound) -> None:
        """A message (seq > 0), or a frame that is not kept (seq 0)."""

    def deliver_change(self, channel_id: int, version: int, frame: Outbound) -> None:
        """A frame of a change to a message, with the channel's version of that change."""

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


# (channel_id, after, up_to, limit) -> [(seq or version, [frame text, ...]), ...] ascending
Fetch = Callable[[int, int, int, int], Awaitable[list[tuple[int, list[str]]]]]
Tops = Callable[[list[int]], Awaitable[dict[int, int]]]  # channel ids -> the last seq, or version
Members = Callable[[list[tuple[int, int]]], Awaitable[set[tuple[int, int]]]]


class Stream:
    """One ordered stream of a room (its messages by seq, its changes by version, its kept events by
    position) or of a user's feed (its kept events)."""

    __slots__ = ("kind", "fetch", "next", "pending", "fill_to", "filling")

    def __init__(self, kind: str, fetch: Callable[[int, int, int], Awaitable[list[tuple[int, list[str]]]]]):
        self.kind, self.fetch = kind, fetch  # fetch(after, up_to, limit), bound to its room or feed
        self.next = 0  # the number to deliver next; known once the room is ready
        self.pending: dict[int, tuple[Outbound, ...]] = {}  # what came ahead of a gap
        self.fill_to = 0  # fill the gap up to here even if nothing is pending (after a reconnect)
        self.filling: asyncio.Task | None = None


class Room:
    __slots__ = ("channel_id", "subscribers", "joining", "messages", "changes", "events", "ready")

    def __init__(self, channel_id: int, *, messages: Fetch, changes: Fetch, events: Fetch):
        self.channel_id = channel_id
        self.subscribers: set[Subscriber] = set()
        self.joining = 0  # subscribers waiting for the room to be ready: it must not close under them
        self.messages = Stream("message", functools.partial(messages, channel_id))
        self.changes = Stream("change", functools.partial(changes, channel_id))
        self.events = Stream("event", functools.partial(events, channel_id))
        self.ready: asyncio.Future | None = None

    @property
    def streams(self) -> tuple[Stream, ...]:
        return self.messages, self.changes, self.events

    def __str__(self) -> str:
        return f"channel {self.channel_id}"


class Feed:
    """A user's connections on this node and the stream of their kept events."""

    __slots__ = ("user_id", "subscribers", "events", "ready")

    def __init__(self, user_id: int, *, events: Fetch):
        self.user_id = user_id
        self.subscribers: set[Subscriber] = set()
        self.events = Stream("user event", functools.partial(events, user_id))
        self.ready: asyncio.Future | None = None

    @property
    def streams(self) -> tuple[Stream, ...]:
        return (self.events,)

    def __str__(self) -> str:
        return f"user {self.user_id}'s feed"


class Hub:
    """The rooms and user feeds of one process, fed by its broker (chat/realtime/broker.py)."""

    def __init__(
        self,
        *,
        broker: Broker,
        messages: Fetch,
        changes: Fetch,
        channel_events: Fetch,
        user_events: Fetch,
        last_seqs: Tops,
        last_versions: Tops,
        last_channel_events: Tops,
        last_user_events: Tops,
        members: Members,
    ):
        self.broker = broker
        self.fetch_messages, self.fetch_changes, self.members = messages, changes, members
        self.fetch_channel_events, self.fetch_user_events = channel_events, user_events
        self.last_seqs, self.last_versions = last_seqs, last_versions
        self.last_channel_events, self.last_user_events = last_channel_events, last_user_events
        self.rooms: dict[int, Room] = {}
        self.feeds: dict[int, Feed] = {}  # user id -> their local connections
        self.presence = Presence(self.feeds, self.publish_ephemeral)
        self.receipts = ReadReceipts(self.publish_ephemeral)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tasks: set[asyncio.Task] = set()  # the loop keeps only weak references to tasks

    # --- subscribers

    async def join(self, channel_id: int, subscriber: Subscriber) -> tuple[int, int]:
        """Adds a subscriber once the room is receiving; returns the seq and the version its live
        frames follow."""
        self.loop = asyncio.get_running_loop()
        self.broker.start(self)
        deadline = self.loop.time() + JOIN_TIMEOUT_SECONDS
        while True:
            room = self.rooms.get(channel_id)
            if room is None:
                room = self.rooms[channel_id] = Room(
                    channel_id,
                    messages=self.fetch_messages,
                    changes=self.fetch_changes,
                    events=self.fetch_channel_events,
                )
                room.ready = spawn(self.tasks, self._open(room))
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
                return room.messages.next - 1, room.changes.next - 1

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
        for stream in room.streams:
            if stream.filling is not None and stream.filling is not asyncio.current_task():
                stream.filling.cancel()
        if not room.ready.done() and not room.joining:
            room.ready.cancel()
        spawn(self.tasks, self._close(room))

    async def _open(self, room: Room) -> None:
        """Subscribed before the tops are read: nothing published after them goes unheard."""
        while True:
            await self.broker.ready()
            try:
                await self.broker.subscribe([keys.room_topic(room.channel_id)])
                break
            except ConnectionError:
                continue  # the connection dropped meanwhile: try on the next one
        if self.rooms.get(room.channel_id) is not room:  # discarded while it subscribed
            spawn(self.tasks, self._close(room))
            return
        channel = [room.channel_id]
        tops = await asyncio.gather(
            self.last_seqs(channel), self.last_versions(channel), self.last_channel_events(channel)
        )
        self._start_streams(room, [top[room.channel_id] for top in tops])

    async def _open_feed(self, feed: Feed) -> None:
        if self.broker.is_connected():  # otherwise the feed is subscribed with everything else once connected
            await self._subscribe_quietly(keys.user_topic(feed.user_id))
        tops = await self.last_user_events([feed.user_id])
        self._start_streams(feed, [tops[feed.user_id]])

    def _start_streams(self, owner: Room | Feed, tops: list[int]) -> None:
        """The streams start after their tops now; what came meanwhile waits for a gap to fill."""
        for stream, top in zip(owner.streams, tops, strict=True):
            stream.next = top + 1
            self._drain_pending(owner, stream)
            if stream.pending:
                stream.filling = spawn(self.tasks, self._fill(owner, stream))

    def _current(self, owner: Room | Feed) -> bool:
        """The room or feed is still the one this node serves (not closed, not started over)."""
        if isinstance(owner, Feed):
            return self.feeds.get(owner.user_id) is owner
        return self.rooms.get(owner.channel_id) is owner

    async def _close(self, room: Room) -> None:
        await self._unsubscribe_quietly(keys.room_topic(room.channel_id), lambda: room.channel_id in self.rooms)

    async def _subscribe_quietly(self, topic: str) -> None:
        try:
            await self.broker.subscribe([topic])
        except Exception:  # noqa: BLE001 - a new connection subscribes every feed again
            logger.info("could not subscribe %s now; the next connection will", topic)

    async def _unsubscribe_quietly(self, topic: str, wanted_again) -> None:
        if wanted_again():
            return
        try:
            await self.broker.unsubscribe(topic)
        except Exception:  # noqa: BLE001 - a dead connection: the next one does not subscribe it
            logger.info("could not unsubscribe %s", topic)

    def attach(self, subscriber: Subscriber) -> None:
        """The connection hears its user's feed from now on (best effort: events are not kept)."""
        self.loop = asyncio.get_running_loop()
        self.broker.start(self)
        feed = self.feeds.get(subscriber.user_id)
        if feed is None:
            feed = self.feeds[subscriber.user_id] = Feed(subscriber.user_id, events=self.fetch_user_events)
            feed.ready = spawn(self.tasks, self._open_feed(feed))
            self.presence.connected(subscriber.user_id)
        feed.subscribers.add(subscriber)

    def connections_of(self, user_id: int) -> int:
        """How many of the user's sockets this node holds."""
        feed = self.feeds.get(user_id)
        return 0 if feed is None else len(feed.subscribers)

    def detach(self, subscriber: Subscriber) -> None:
        feed = self.feeds.get(subscriber.user_id)
        if feed is None:
            return
        feed.subscribers.discard(subscriber)
        if not feed.subscribers:
            del self.feeds[subscriber.user_id]
            for stream in feed.streams:
                if stream.filling is not None:
                    stream.filling.cancel()
            feed.ready.cancel()
            user_id = subscriber.user_id
            spawn(self.tasks, self._unsubscribe_quietly(keys.user_topic(user_id), lambda: user_id in self.feeds))
            self.presence.disconnected(user_id)

    def start(self) -> None:
        """Called once the node serves: its broker connects then."""
        self.loop = asyncio.get_running_loop()
        self.broker.start(self)

    # --- what the broker hears

    def on_message(self, topic: str, payload: str) -> None:
        target, target_id = keys.parse_topic(topic)
        if target == "room":
            self.on_payload(target_id, payload)
        else:
            self.on_user_payload(target_id, payload)

    async def recover(self) -> None:
        """After a new broker connection: every room and feed subscribed again, members checked,
        every stream filled up to its top (what was published while the connection was down)."""
        rooms = [room for room in self.rooms.values() if room.ready.done()]
        feeds = [feed for feed in self.feeds.values() if feed.ready.done()]
        await self.broker.subscribe(
            [keys.room_topic(room.channel_id) for room in rooms] + [keys.user_topic(user_id) for user_id in self.feeds]
        )
        gone = await self._departed_members(rooms)
        channel_ids = [room.channel_id for room in rooms]
        seqs, versions, events, user_events = await asyncio.gather(
            self.last_seqs(channel_ids),
            self.last_versions(channel_ids),
            self.last_channel_events(channel_ids),
            self.last_user_events([feed.user_id for feed in feeds]),
        )
        for room in rooms:
            if self.rooms.get(room.channel_id) is not room:
                continue
            if gone[room.channel_id]:
                self._revoke(room, gone[room.channel_id])
            for stream, tops in zip(room.streams, (seqs, versions, events), strict=True):
                self._fill_to(room, stream, tops[room.channel_id])
        for feed in feeds:
            if self.feeds.get(feed.user_id) is feed:
                self._fill_to(feed, feed.events, user_events[feed.user_id])

    def _fill_to(self, owner: Room | Feed, stream: Stream, top: int) -> None:
        stream.fill_to = max(stream.fill_to, top)
        if stream.filling is None and stream.fill_to >= stream.next:
            stream.filling = spawn(self.tasks, self._fill(owner, stream))

    async def _departed_members(self, rooms: list[Room]) -> dict[int, set[int]]:
        """Subscribers who stopped being members while the connection was down (a leave it missed)."""
        pairs = {(subscriber.user_id, room.channel_id) for room in rooms for subscriber in room.subscribers}
        gone: dict[int, set[int]] = defaultdict(set)
        try:
            members = await self.members(list(pairs))
        except Exception:
            logger.exception("could not check the members of this node's rooms after a reconnect")
            return gone
        for user_id, channel_id in pairs - members:
            gone[channel_id].add(user_id)
        return gone

    def on_user_payload(self, user_id: int, payload: str) -> None:
        feed = self.feeds.get(user_id)
        if feed is None:
            return
        subscribers = tuple(feed.subscribers)
        heard = payloads.parse(payload)
        if heard.kind == payloads.KEPT:
            self._arrived(feed, feed.events, heard.number, (Outbound(heard.text),))
        elif heard.kind == payloads.EPHEMERAL:
            frame = Outbound(heard.text)
            for subscriber in subscribers:
                subscriber.deliver_event(frame)
            metrics.frames_out.inc(len(subscribers))
        elif heard.kind == payloads.LEFT:
            for subscriber in subscribers:
                subscriber.forget_membership(heard.number)

    # --- what arrives on a room's topic

    def on_payload(self, channel_id: int, payload: str) -> None:
        room = self.rooms.get(channel_id)
        if room is None:
            return
        heard = payloads.parse(payload)
        if heard.kind == payloads.MESSAGE:
            metrics.delivery_latency.observe(max(0.0, time.time() - heard.published_at))
            self._arrived(room, room.messages, heard.number, (Outbound(heard.text),))
        elif heard.kind == payloads.CHANGE:
            texts = [encode(frame) for frame in json.loads(heard.text)]
            self._arrived(room, room.changes, heard.number, tuple(Outbound(text) for text in texts))
        elif heard.kind == payloads.KEPT:
            self._arrived(room, room.events, heard.number, (Outbound(heard.text),))
        elif heard.kind == payloads.EPHEMERAL:
            self._deliver_ephemeral(room, heard.number, Outbound(heard.text))
        elif heard.kind == payloads.LEFT:
            self._revoke(room, {heard.number})

    def _arrived(self, room: Room | Feed, stream: Stream, number: int, frames: tuple[Outbound, ...]) -> None:
        if number < stream.next:
            return  # a gap fill delivered it already
        if number == stream.next and stream.filling is None and room.ready.done():
            stream.next += 1
            self._deliver(room, stream, number, frames)
            if stream.pending:
                self._drain_pending(room, stream)
            return
        stream.pending[number] = frames
        if len(stream.pending) > MAX_PENDING:
            self._start_over(room, f"too many {stream.kind}s behind a gap")
        elif stream.filling is None and room.ready.done():
            stream.filling = spawn(self.tasks, self._fill(room, stream))

    def _deliver(self, room: Room | Feed, stream: Stream, number: int, frames: tuple[Outbound, ...]) -> None:
        subscribers = tuple(room.subscribers)
        if isinstance(room, Feed):
            for subscriber in subscribers:
                for frame in frames:
                    subscriber.deliver_event(frame)
        elif stream is room.messages:
            (frame,) = frames
            for subscriber in subscribers:
                subscriber.deliver(room.channel_id, number, frame)
        elif stream is room.events:  # seq 0: not part of the history of messages
            for subscriber in subscribers:
                for frame in frames:
                    subscriber.deliver(room.channel_id, 0, frame)
        else:
            for subscriber in subscribers:
                for frame in frames:
                    subscriber.deliver_change(room.channel_id, number, frame)
        metrics.frames_out.inc(len(subscribers) * len(frames))  # once per room frame, not per socket

    def _deliver_ephemeral(self, room: Room, sender_id: int, frame: Outbound) -> None:
        receivers = [subscriber for subscriber in room.subscribers if subscriber.user_id != sender_id]
        for subscriber in receivers:
            subscriber.deliver(room.channel_id, 0, frame)
        metrics.frames_out.inc(len(receivers))

    def _drain_pending(self, room: Room | Feed, stream: Stream) -> None:
        pending = stream.pending
        for number in [number for number in pending if number < stream.next]:
            del pending[number]
        while stream.next in pending:
            number = stream.next
            stream.next += 1
            self._deliver(room, stream, number, pending.pop(number))

    async def _fill(self, room: Room | Feed, stream: Stream) -> None:
        """Delivers the missing part of the stream from storage, then what waited behind it."""
        try:
            while True:
                self._drain_pending(room, stream)
                target = max(stream.fill_to, min(stream.pending) - 1 if stream.pending else 0)
                if target < stream.next:
                    return
                page = await stream.fetch(stream.next - 1, target, FILL_PAGE)
                if not self._current(room):
                    return
                for number, texts in page:
                    if number >= stream.next:
                        self._skip(room, stream, number)
                        stream.next = number + 1
                        self._deliver(room, stream, number, tuple(Outbound(text) for text in texts))
                if page:
                    metrics.gaps_filled.inc()
                if len(page) < FILL_PAGE:
                    # Every number up to the target was taken before it was published, and what
                    # it numbers is stored from then on: a message in the tail or the store, a
                    # change or a kept event in the database. What is not there now is gone: a
                    # message lost with Redis's data or refused by the store; a change a later one
                    # on the same message replaced (its state carries both); an event kept longer
                    # ago than CHAT_EVENT_HISTORY_SECONDS.
                    self._skip(room, stream, target + 1)
                    stream.next = max(stream.next, target + 1)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("could not fill a gap in %s; it starts over", room)
            self._start_over(room, "gap fill failed")
        finally:
            stream.filling = None

    def _skip(self, room: Room | Feed, stream: Stream, up_to: int) -> None:
        missing = up_to - stream.next
        if missing > 0 and stream.kind == "message":  # skipped versions are changes replaced since
            metrics.seqs_skipped.inc(missing)
            logger.warning(
                "channel %s: seq %d-%d are in neither the tail nor the store; skipped",
                room.channel_id,
                stream.next,
                up_to - 1,
            )

    def _start_over(self, room: Room | Feed, reason: str) -> None:
        """The room cannot vouch for its members' streams: they resync, the room reopens. A feed
        goes on from its top (its connections have no resync)."""
        if isinstance(room, Feed):
            logger.warning("%s: %s; it goes on from its last kept event", room, reason)
            room.events.pending.clear()
            if self._current(room):
                room.ready = spawn(self.tasks, self._open_feed(room))
            return
        logger.warning("channel %s: %s; %d subscribers resync", room.channel_id, reason, len(room.subscribers))
        metrics.room_resyncs.inc()
        subscribers = tuple(room.subscribers)
        room.subscribers.clear()
        for stream in room.streams:
            stream.pending.clear()
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
        await self.broker.publish(keys.room_topic(channel_id), payloads.ephemeral_payload(sender_id, frame_text))

    def publish_from_thread(self, channel_id: int, payload: str) -> None:
        """For sync code (services in worker threads)."""
        self.broker.publish_from_thread(keys.room_topic(channel_id), payload)

    def members_changed_from_thread(self, channel_id: int) -> None:
        """Someone joined or left the channel (a service's thread): presence tells it who is online.
        In a context of its own: the calling request's would hand tasks it starts a database
        executor that is gone once the request has answered."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.presence.members_changed, channel_id, context=contextvars.Context())

    def publish_to_user_from_thread(self, user_id: int, payload: str) -> None:
        self.broker.publish_from_thread(keys.user_topic(user_id), payload)

    async def publish_to_user(self, user_id: int, payload: str) -> None:
        await self.broker.publish(keys.user_topic(user_id), payload)
