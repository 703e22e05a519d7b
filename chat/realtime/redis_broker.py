"""The broker on Redis: one pub/sub connection per node, or in a Redis Cluster one sharded pub/sub
connection per shard (chat/realtime/subscriptions.py).

Only this broker drives those connections: SUBSCRIBE and UNSUBSCRIBE go out one at a time, a
subscribe returns once Redis has confirmed it, and the node publishes a heartbeat to its own topic
on each connection to prove it still delivers. No retry is hidden below: when a connection breaks
(or goes silent) a new set is made and the handler recovers (subscribes every topic again and fills
every stream up to its top).
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
from chat.realtime.broker import Handler
from chat.realtime.redis_client import publish, publish_from_thread
from chat.realtime.subscriptions import ShardedSubscriptions, Subscriptions

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
SILENT_LIMIT_SECONDS = 10.0  # no heartbeat back for this long: the subscription connection is dead
RECONNECT_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0)
# A new set of connections is open, subscribed and recovered within this, or it is dropped and made
# again: a step that never returns (a reply Redis never sends) would leave the node deaf for good.
RECOVER_LIMIT_SECONDS = 30.0
SUBSCRIBE_CHUNK = 1000


class RedisBroker:
    def __init__(self, redis_url: str, *, sharded: bool):
        self.redis_url, self.sharded = redis_url, sharded
        self.handler: Handler | None = None
        self.subscriptions: Subscriptions | None = None
        self.commands = asyncio.Lock()  # SUBSCRIBE and UNSUBSCRIBE go out one at a time, in order
        self.confirmations: dict[bytes, deque[asyncio.Future]] = defaultdict(deque)
        self.connected: asyncio.Event | None = None
        self.runner: asyncio.Task | None = None
        self.node_name = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        self.heard_at: dict[bytes, float] = {}  # heartbeat topic -> when it was last heard
        self.connections = itertools.count()

    def start(self, handler: Handler) -> None:
        self.handler = handler
        if self.runner is None or self.runner.done():
            self.connected = asyncio.Event()
            self.runner = asyncio.get_running_loop().create_task(self._run())

    def is_connected(self) -> bool:
        return self.connected is not None and self.connected.is_set()

    async def ready(self) -> None:
        await self.connected.wait()

    async def subscribe(self, topics: list[str]) -> None:
        """SUBSCRIBE, and wait until Redis confirms every topic on this connection."""
        if self.subscriptions is None:
            raise ConnectionError("no subscription connection")
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

    async def unsubscribe(self, topic: str) -> None:
        if self.subscriptions is None:
            return  # a dead connection: the next one does not subscribe it
        async with self.commands:
            await self.subscriptions.unsubscribe(topic)

    async def publish(self, topic: str, payload: str) -> None:
        await publish(topic, payload)

    def publish_from_thread(self, topic: str, payload: str) -> None:
        publish_from_thread(topic, payload)

    async def stop(self) -> None:
        if self.runner is not None:
            self.runner.cancel()
            await asyncio.gather(self.runner, return_exceptions=True)

    async def _run(self) -> None:
        failures = 0
        while True:
            # No silent retries: a dropped connection must surface here, because what was
            # published while it was down has to be filled in.
            subscriptions = ShardedSubscriptions(self.redis_url) if self.sharded else Subscriptions(self.redis_url)
            tasks: list[asyncio.Task] = []
            try:
                async with asyncio.timeout(RECOVER_LIMIT_SECONDS):
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
                    await self.subscribe(heartbeats)
                    reconnected = next(self.connections) > 0
                    if reconnected:
                        metrics.hub_reconnects.inc()
                    await self.handler.recover()
                self.connected.set()
                if reconnected:
                    logger.info("room subscriptions recovered (%d failed attempts before)", failures)
                failures = 0
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in tasks:
                    if task.done() and task.exception() is not None:
                        raise task.exception()
            except asyncio.CancelledError:
                await subscriptions.close()  # stopped
                raise
            except TimeoutError:
                logger.warning("room subscriptions not recovered in %.0f s; starting again", RECOVER_LIMIT_SECONDS)
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
                else:
                    self.handler.on_message(topic.decode(), data.decode())
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
