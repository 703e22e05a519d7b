"""Rooms of this node: one subscription per channel, and every message delivered in seq order.

A room's frames are published once (Redis PUBLISH from the send script, or an in-process
call in the embedded mode). Each node subscribes once per room that has local subscribers and
hands the already-encoded frame to each of them, so fan-out never hops per recipient.

Pub/sub is at most once, so live delivery is checked, not trusted (Centrifugo's offsets): a
room knows the next seq it must deliver; a message further ahead waits while the gap is
filled from the unpersisted tail and the store. A room is ready only once Redis confirmed its
subscription, and every time the subscription connection comes back, every room is filled up
to the channel's counter and its members are checked again.

Payloads on a room's topic:
    "m <seq> <published_at> <frame json>"   a message of the channel's history
    "e <sender_id> <frame json>"            typing and channel events, not kept (seq 0)
    "x left <user_id>"                      that user's subscriptions end on every node
"""

import asyncio
import itertools
import logging
import os
import socket
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from django.conf import settings

from chat import keys, metrics
from chat.realtime.outbox import Outbound

logger = logging.getLogger(__name__)

FILL_PAGE = 500
MAX_PENDING = 20_000  # frames held behind a gap; past this the room starts over (its members resync)
JOIN_TIMEOUT_SECONDS = 10.0
HEARTBEAT_SECONDS = 2.0
SILENT_LIMIT_SECONDS = 10.0  # no heartbeat back for this long: the subscription connection is dead
RECONNECT_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0)


class Subscriber(Protocol):
    user_id: int

    def deliver(self, channel_id: int, seq: int, frame: Outbound) -> None: ...

    def revoke(self, channel_id: int) -> None:
        """The user is no longer a member: nothing more from this room."""

    def resync(self, channel_id: int) -> None:
        """The node cannot vouch for what it delivered: the client resumes with since_seq."""


class Unavailable(Exception):
    """The node cannot reach the message bus; the room cannot be served right now."""


History = Callable[..., Awaitable[list[dict]]]  # (channel_id=, after_seq=, before_seq=, limit=) -> messages
LastSeqs = Callable[[list[int]], Awaitable[dict[int, int]]]
Members = Callable[[list[tuple[int, int]]], Awaitable[set[tuple[int, int]]]]


def message_payload(seq: int, frame_text: str) -> str:
    return f"m {seq} {time.time():.6f} {frame_text}"


def ephemeral_payload(sender_id: int, frame_text: str) -> str:
    return f"e {sender_id} {frame_text}"


def left_payload(user_id: int) -> str:
    return f"x left {user_id}"


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

    def _spawn(self, coroutine) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task


class RedisHub(Hub):
    """Rooms fed by one Redis pub/sub connection per process, which only this hub drives."""

    def __init__(self, *, redis_url: str, **kwargs):
        super().__init__(**kwargs)
        self.redis_url = redis_url
        self.pubsub = None
        self.commands = asyncio.Lock()  # SUBSCRIBE and UNSUBSCRIBE go out one at a time, in order
        self.confirmations: dict[bytes, deque[asyncio.Future]] = defaultdict(deque)
        self.connected: asyncio.Event | None = None
        self.runner: asyncio.Task | None = None
        self.node_topic = keys.node_topic(f"{socket.gethostname()}:{os.getpid()}:{id(self)}")
        self.heard_at = time.monotonic()
        self.connections = itertools.count()

    async def _open(self, room: Room) -> None:
        self._ensure_running()
        while True:
            await self.connected.wait()
            try:
                await self._subscribe([keys.room_topic(room.channel_id)])
                break
            except ConnectionError:
                continue  # the connection dropped meanwhile: try on the next one
        if self.rooms.get(room.channel_id) is not room:  # discarded while it subscribed
            self._spawn(self._close(room))
            return
        await super()._open(room)

    async def _close(self, room: Room) -> None:
        if self.pubsub is None or room.channel_id in self.rooms:
            return
        try:
            async with self.commands:
                await self.pubsub.unsubscribe(keys.room_topic(room.channel_id))
        except Exception:  # noqa: BLE001 - a dead connection: the next one does not subscribe it
            logger.info("could not unsubscribe channel %s", room.channel_id)

    async def _subscribe(self, topics: list[str]) -> None:
        """SUBSCRIBE, and wait until Redis confirms every topic on this connection."""
        loop = asyncio.get_running_loop()
        waiting = []
        for topic in topics:
            future = loop.create_future()
            self.confirmations[topic.encode()].append(future)
            waiting.append(future)
        async with self.commands:
            for start in range(0, len(topics), 1000):
                await self.pubsub.subscribe(*topics[start : start + 1000])
        await asyncio.gather(*waiting)

    def _ensure_running(self) -> None:
        if self.runner is None or self.runner.done():
            self.connected = asyncio.Event()
            self.runner = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # No silent retries: a dropped connection must surface here, because what was published
        # while it was down has to be filled in.
        pool = aioredis.ConnectionPool.from_url(self.redis_url, retry=Retry(NoBackoff(), 0), socket_keepalive=True)
        client = aioredis.Redis(connection_pool=pool)
        failures = 0
        while True:
            pubsub = client.pubsub()
            try:
                await pubsub.connect()
                self.pubsub = pubsub
                reader = asyncio.get_running_loop().create_task(self._read(pubsub))
                heartbeat = asyncio.get_running_loop().create_task(self._heartbeat(client))
                try:
                    await self._subscribe([self.node_topic])
                    number = next(self.connections)
                    if number:
                        metrics.hub_reconnects.inc()
                        await self._resubscribe_and_fill()
                    self.connected.set()
                    failures = 0
                    await asyncio.wait([reader, heartbeat], return_when=asyncio.FIRST_COMPLETED)
                    for task in (reader, heartbeat):
                        if task.done() and task.exception() is not None:
                            raise task.exception()
                finally:
                    reader.cancel()
                    heartbeat.cancel()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - any failure means: start a new connection
                logger.warning("room subscription connection lost (%s); reconnecting", error)
            self.connected.clear()
            self.pubsub = None
            for waiting in self.confirmations.values():
                for future in waiting:
                    if not future.done():
                        future.set_exception(ConnectionError("subscription connection lost"))
            self.confirmations.clear()
            try:
                await pubsub.aclose()
            except Exception:  # noqa: BLE001
                pass
            await asyncio.sleep(RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)])
            failures += 1

    async def _read(self, pubsub) -> None:
        node_topic = self.node_topic.encode()
        while True:
            message = await pubsub.get_message(timeout=None)  # blocks: no timer per message
            if message is None:
                continue
            kind, topic = message["type"], message["channel"]
            if kind == "message":
                if topic == node_topic:
                    self.heard_at = time.monotonic()
                else:
                    self.on_payload(keys.channel_of_topic(topic), message["data"].decode())
            elif kind == "subscribe":
                waiting = self.confirmations.get(topic)
                if waiting:
                    future = waiting.popleft()
                    if not future.done():
                        future.set_result(None)
                    if not waiting:
                        del self.confirmations[topic]

    async def _heartbeat(self, client) -> None:
        """Publishes to this node's own topic: hearing nothing back means the connection is dead."""
        self.heard_at = time.monotonic()
        while True:
            await client.publish(self.node_topic, "hb")
            await asyncio.sleep(HEARTBEAT_SECONDS)
            if time.monotonic() - self.heard_at > SILENT_LIMIT_SECONDS:
                raise ConnectionError("the subscription connection hears nothing")

    async def _resubscribe_and_fill(self) -> None:
        """After a new connection: every room subscribed again, its members checked, its gap filled."""
        rooms = [room for room in self.rooms.values() if room.ready.done()]
        await self._subscribe([keys.room_topic(room.channel_id) for room in rooms])
        gone = await self._departed_members(rooms)
        tops = await self.last_seqs([room.channel_id for room in rooms])
        for room in rooms:
            if self.rooms.get(room.channel_id) is not room:
                continue
            if gone[room.channel_id]:
                self._revoke(room, gone[room.channel_id])
            room.fill_to = max(room.fill_to, tops[room.channel_id])
            if room.filling is None and room.fill_to >= room.next_seq:
                room.filling = self._spawn(self._fill(room))

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

    async def publish_ephemeral(self, channel_id: int, sender_id: int, frame_text: str) -> None:
        from chat.redis_client import async_redis

        await async_redis().publish(keys.room_topic(channel_id), ephemeral_payload(sender_id, frame_text))

    def publish_from_thread(self, channel_id: int, payload: str) -> None:
        from chat.redis_client import sync_redis

        sync_redis().publish(keys.room_topic(channel_id), payload)


_hub: Hub | None = None


def get_hub() -> Hub:
    global _hub
    if _hub is None:
        from chat import selectors

        dependencies = {
            "history": selectors.messages_after,
            "last_seqs": selectors.channels_last_seq_async,
            "members": selectors.memberships_among_async,
        }
        _hub = RedisHub(redis_url=settings.REDIS_URL, **dependencies) if settings.REDIS_URL else Hub(**dependencies)
    return _hub
