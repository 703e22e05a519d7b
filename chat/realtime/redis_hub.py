"""The production hub: rooms and user feeds fed by one Redis pub/sub connection per node (in a
Redis Cluster, one sharded pub/sub connection per shard: chat/realtime/subscriptions.py).

Only this hub drives those connections: SUBSCRIBE and UNSUBSCRIBE go out one at a time, a room
is ready once Redis has confirmed its subscription, and the node publishes a heartbeat to its
own topic on each connection to prove it still delivers. No retry is hidden below: when a
connection breaks (or goes silent) a new set is made, every room and feed is subscribed again,
the rooms' members are checked and every room is filled up to its channel's counter.
"""

import asyncio
import itertools
import logging
import os
import socket
import time
from collections import defaultdict, deque

from chat import metrics
from chat.realtime import keys
from chat.realtime.background import spawn
from chat.realtime.hub import Feed, Hub, Room
from chat.realtime.payloads import ephemeral_payload
from chat.realtime.redis_client import cluster_mode, publish, publish_from_thread
from chat.realtime.subscriptions import ShardedSubscriptions, Subscriptions

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
SILENT_LIMIT_SECONDS = 10.0  # no heartbeat back for this long: the subscription connection is dead
RECONNECT_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0)
SUBSCRIBE_CHUNK = 1000


class RedisHub(Hub):
    """Rooms fed by one Redis pub/sub connection per process (per shard in a cluster), which only
    this hub drives."""

    def __init__(self, *, redis_url: str, **kwargs):
        super().__init__(**kwargs)
        self.redis_url = redis_url
        self.subscriptions: Subscriptions | None = None
        self.commands = asyncio.Lock()  # SUBSCRIBE and UNSUBSCRIBE go out one at a time, in order
        self.confirmations: dict[bytes, deque[asyncio.Future]] = defaultdict(deque)
        self.connected: asyncio.Event | None = None
        self.runner: asyncio.Task | None = None
        self.node_name = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        self.heard_at: dict[bytes, float] = {}  # heartbeat topic -> when it was last heard
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
            spawn(self.tasks, self._close(room))
            return
        await super()._open(room)

    async def _close(self, room: Room) -> None:
        await self._unsubscribe_quietly(keys.room_topic(room.channel_id), lambda: room.channel_id in self.rooms)

    async def _open_feed(self, feed: Feed) -> None:
        """Subscribed before its top is read: nothing kept after the top goes unheard."""
        if self.connected is not None and self.connected.is_set():
            await self._subscribe_quietly(keys.user_topic(feed.user_id))
        else:
            self._ensure_running()  # the feed is subscribed with everything else once connected
        await super()._open_feed(feed)

    def _feed_closed(self, user_id: int) -> None:
        spawn(self.tasks, self._unsubscribe_quietly(keys.user_topic(user_id), lambda: user_id in self.feeds))

    async def _subscribe_quietly(self, topic: str) -> None:
        try:
            await self._subscribe([topic])
        except Exception:  # noqa: BLE001 - a new connection subscribes every feed again
            logger.info("could not subscribe %s now; the next connection will", topic)

    async def _unsubscribe_quietly(self, topic: str, wanted_again) -> None:
        if self.subscriptions is None or wanted_again():
            return
        try:
            async with self.commands:
                await self.subscriptions.unsubscribe(topic)
        except Exception:  # noqa: BLE001 - a dead connection: the next one does not subscribe it
            logger.info("could not unsubscribe %s", topic)

    async def _subscribe(self, topics: list[str]) -> None:
        """SUBSCRIBE, and wait until Redis confirms every topic on this connection."""
        loop = asyncio.get_running_loop()
        waiting = []
        for topic in topics:
            future = loop.create_future()
            self.confirmations[topic.encode()].append(future)
            waiting.append(future)
        async with self.commands:
            for start in range(0, len(topics), SUBSCRIBE_CHUNK):
                await self.subscriptions.subscribe(topics[start : start + SUBSCRIBE_CHUNK])
        await asyncio.gather(*waiting)

    def start(self) -> None:
        self._ensure_running()

    def _ensure_running(self) -> None:
        if self.runner is None or self.runner.done():
            self.connected = asyncio.Event()
            self.runner = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        failures = 0
        while True:
            # No silent retries: a dropped connection must surface here, because what was
            # published while it was down has to be filled in.
            subscriptions = ShardedSubscriptions(self.redis_url) if cluster_mode() else Subscriptions(self.redis_url)
            tasks: list[asyncio.Task] = []
            try:
                await subscriptions.open()
                self.subscriptions = subscriptions
                loop = asyncio.get_running_loop()
                heartbeats = [keys.node_topic(self.node_name, tag) for tag in subscriptions.heartbeat_tags()]
                tasks = [
                    loop.create_task(self._read(subscriptions, connection, heartbeats))
                    for connection in subscriptions.connections.values()
                ]
                tasks.append(loop.create_task(self._heartbeat(subscriptions, heartbeats)))
                for task in tasks:
                    task.add_done_callback(self._connection_failed)
                await self._subscribe(heartbeats)
                if next(self.connections):
                    metrics.hub_reconnects.inc()
                await self._resubscribe_and_fill()
                self.connected.set()
                failures = 0
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in tasks:
                    if task.done() and task.exception() is not None:
                        raise task.exception()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - any failure means: start a new connection
                logger.warning("room subscription connection lost (%s); reconnecting", error)
            finally:
                for task in tasks:
                    task.cancel()
            self.connected.clear()
            self.subscriptions = None
            self._fail_confirmations()
            await subscriptions.close()
            await asyncio.sleep(RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)])
            failures += 1

    def _connection_failed(self, task: asyncio.Task) -> None:
        """A reader or the heartbeat ended: nothing waiting for a confirmation will get one."""
        if not task.cancelled() and task.exception() is not None:
            logger.warning("a subscription connection failed: %r", task.exception())
            self._fail_confirmations()

    def _fail_confirmations(self) -> None:
        for waiting in self.confirmations.values():
            for future in waiting:
                if not future.done():
                    future.set_exception(ConnectionError("subscription connection lost"))
        self.confirmations.clear()

    async def _read(self, subscriptions: Subscriptions, connection, heartbeats: list[str]) -> None:
        heartbeat_topics = {topic.encode() for topic in heartbeats}
        while True:
            event = await subscriptions.next_event(connection)
            if event is None:
                continue
            kind, topic, data = event
            if kind == "message":
                if topic in heartbeat_topics:
                    self.heard_at[topic] = time.monotonic()
                    continue
                target, target_id = keys.parse_topic(topic)
                if target == "room":
                    self.on_payload(target_id, data.decode())
                else:
                    self.on_user_payload(target_id, data.decode())
            else:
                waiting = self.confirmations.get(topic)
                if waiting:
                    future = waiting.popleft()
                    if not future.done():
                        future.set_result(None)
                    if not waiting:
                        del self.confirmations[topic]

    async def _heartbeat(self, subscriptions: Subscriptions, heartbeats: list[str]) -> None:
        """Publishes to this node's own topic on each connection: hearing nothing back means that
        connection is dead."""
        started = time.monotonic()
        for topic in heartbeats:
            self.heard_at[topic.encode()] = started
        while True:
            for topic in heartbeats:
                await subscriptions.publish(topic, "hb")
            await asyncio.sleep(HEARTBEAT_SECONDS)
            if any(time.monotonic() - self.heard_at[topic.encode()] > SILENT_LIMIT_SECONDS for topic in heartbeats):
                raise ConnectionError("a subscription connection hears nothing")

    async def _resubscribe_and_fill(self) -> None:
        """After a new connection: every room and feed subscribed again, members checked, every
        stream filled up to its top (what was published while the connection was down)."""
        rooms = [room for room in self.rooms.values() if room.ready.done()]
        feeds = [feed for feed in self.feeds.values() if feed.ready.done()]
        await self._subscribe(
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

    def _fill_to(self, owner: Room | Feed, stream, top: int) -> None:
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

    async def publish_ephemeral(self, channel_id: int, sender_id: int, frame_text: str) -> None:
        await publish(keys.room_topic(channel_id), ephemeral_payload(sender_id, frame_text))

    def publish_from_thread(self, channel_id: int, payload: str) -> None:
        publish_from_thread(keys.room_topic(channel_id), payload)

    async def publish_to_user(self, user_id: int, payload: str) -> None:
        await publish(keys.user_topic(user_id), payload)

    def publish_to_user_from_thread(self, user_id: int, payload: str) -> None:
        publish_from_thread(keys.user_topic(user_id), payload)
