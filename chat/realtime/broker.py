"""The message bus a node's hub publishes to and hears from, behind one interface (as
Centrifuge's Broker is): in memory (the embedded mode: one process), on one Redis, or on a Redis
Cluster (chat/realtime/redis_broker.py). The node chooses one at start
(chat.realtime.hubs.broker_for_settings); nothing else asks which.

A broker publishes a payload (chat/realtime/payloads.py) to a topic and hands what its
subscriptions hear to its handler (the hub). It promises at most once: when its connection
broke, it tells the handler (recover) once it has a new one, and the handler subscribes its
topics again and fills every stream from its position (seq, version, kept event), from history
the stores keep: the tail and the message store, the changes and kept events in PostgreSQL.
"""

import asyncio
import contextvars
from typing import Protocol


class Handler(Protocol):
    def on_message(self, topic: str, payload: str) -> None:
        """A payload heard on a subscribed topic."""

    async def recover(self) -> None:
        """A new connection: subscribe every topic again and fill what was missed meanwhile."""


class Broker(Protocol):
    def start(self, handler: Handler) -> None:
        """Starts hearing for the handler (in the running loop); calling it again does nothing."""

    def is_connected(self) -> bool: ...

    async def ready(self) -> None:
        """Waits until a connection is up (and its topics subscribed again)."""

    async def subscribe(self, topics: list[str]) -> None:
        """Returns once every topic is subscribed; ConnectionError if the connection dropped."""

    async def unsubscribe(self, topic: str) -> None: ...

    async def publish(self, topic: str, payload: str) -> None: ...

    def publish_from_thread(self, topic: str, payload: str) -> None:
        """For sync code (services in worker threads)."""

    async def stop(self) -> None: ...


class MemoryBroker:
    """One process's bus: a publication reaches the handler in the same turn (from a thread, in
    the loop's next one). Nothing to lose, so nothing to recover."""

    def __init__(self):
        self.handler: Handler | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.topics: set[str] = set()

    def start(self, handler: Handler) -> None:
        self.handler, self.loop = handler, asyncio.get_running_loop()

    def is_connected(self) -> bool:
        return True

    async def ready(self) -> None:
        return

    async def subscribe(self, topics: list[str]) -> None:
        self.topics.update(topics)

    async def unsubscribe(self, topic: str) -> None:
        self.topics.discard(topic)

    async def publish(self, topic: str, payload: str) -> None:
        self._deliver(topic, payload)

    def publish_from_thread(self, topic: str, payload: str) -> None:
        # A context of its own: the calling request's would hand tasks the hub starts a database
        # executor that is gone once the request has answered.
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._deliver, topic, payload, context=contextvars.Context())

    async def stop(self) -> None:
        self.handler = None

    def _deliver(self, topic: str, payload: str) -> None:
        if self.handler is not None and topic in self.topics:
            self.handler.on_message(topic, payload)
