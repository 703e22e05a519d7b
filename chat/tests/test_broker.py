"""The broker contract (chat/realtime/broker.py), the same tests on each bus a node can have: in
memory (the embedded mode), one Redis, and a Redis Cluster (sharded pub/sub, a connection per
shard). Real servers; nothing mocked."""

import asyncio

import pytest
import redis
from django.conf import settings
from django.test import override_settings

from chat.realtime import keys, redis_broker
from chat.realtime.broker import MemoryBroker
from chat.realtime.redis_broker import RedisBroker
from chat.realtime.redis_client import cluster_addresses
from conftest import EMBEDDED

pytestmark = pytest.mark.asyncio

TIMEOUT = 10.0


class Recorder:
    """A handler as the hub is: it hears payloads, and subscribes its topics again on recover."""

    def __init__(self):
        self.broker = None
        self.topics: list[str] = []
        self.heard: list[tuple[str, str]] = []
        self.recoveries = 0

    def on_message(self, topic: str, payload: str) -> None:
        self.heard.append((topic, payload))

    async def recover(self) -> None:
        self.recoveries += 1
        if self.topics:
            await self.broker.subscribe(self.topics)

    async def subscribe(self, topics: list[str]) -> None:
        self.topics += topics
        await self.broker.subscribe(topics)

    async def hears(self, count: int) -> None:
        async with asyncio.timeout(TIMEOUT):
            while len(self.heard) < count:
                await asyncio.sleep(0.02)


@pytest.fixture(params=["memory", "redis", "cluster"])
def bus(request):
    """(kind, a started broker's factory, a way to cut its connections or None)."""
    if request.param == "memory":
        yield "memory", MemoryBroker, None
        return
    if EMBEDDED:
        pytest.skip("Redis brokers: production mode")
    if request.param == "redis":
        servers = [redis.Redis.from_url(settings.REDIS_URL)]
        yield "redis", lambda: RedisBroker(settings.REDIS_URL, sharded=False), servers
        return
    cluster = request.getfixturevalue("redis_cluster")
    with override_settings(REDIS_CLUSTER_NODES=cluster.addresses):
        servers = [redis.Redis(host=host, port=port) for host, port in cluster_addresses()]
        yield "cluster", lambda: RedisBroker(settings.REDIS_URL, sharded=True), servers


async def _started(make, handler_class: type[Recorder] = Recorder) -> tuple[object, Recorder]:
    broker, handler = make(), handler_class()
    handler.broker = broker
    broker.start(handler)
    async with asyncio.timeout(TIMEOUT):
        await broker.ready()
    return broker, handler


async def test_what_is_published_to_a_subscribed_topic_arrives_once_and_in_order(bus):
    _, make, _ = bus
    broker, handler = await _started(make)
    heard_topic, other_topic = keys.room_topic(901), keys.room_topic(902)
    await handler.subscribe([heard_topic])
    for n in range(50):
        await broker.publish(heard_topic, f"m {n}")
        await broker.publish(other_topic, f"other {n}")  # nobody subscribed it here
    await handler.hears(50)
    await asyncio.sleep(0.2)  # anything extra would come now
    assert handler.heard == [(heard_topic, f"m {n}") for n in range(50)]
    await broker.stop()


async def test_an_unsubscribed_topic_is_heard_no_more(bus):
    _, make, _ = bus
    broker, handler = await _started(make)
    topic, still = keys.user_topic(903), keys.user_topic(904)
    await handler.subscribe([topic, still])
    await broker.publish(topic, "before")
    await handler.hears(1)
    await broker.unsubscribe(topic)
    await broker.publish(topic, "after")
    await broker.publish(still, "still heard")
    await handler.hears(2)
    await asyncio.sleep(0.2)
    assert handler.heard == [(topic, "before"), (still, "still heard")]
    await broker.stop()


async def test_a_publication_from_a_worker_thread_arrives(bus):
    _, make, _ = bus
    broker, handler = await _started(make)
    topic = keys.room_topic(905)
    await handler.subscribe([topic])
    await asyncio.to_thread(broker.publish_from_thread, topic, "from a thread")
    await handler.hears(1)
    assert handler.heard == [(topic, "from a thread")]
    await broker.stop()


async def _cut_until_recovered(broker, handler: Recorder, servers, recoveries: int) -> None:
    """Every pub/sub connection killed by Redis; back once the handler recovered this many times."""
    for server in servers:
        server.client_kill_filter(_type="pubsub")
    async with asyncio.timeout(TIMEOUT):
        while handler.recoveries < recoveries or not broker.is_connected():
            await asyncio.sleep(0.02)


async def _heard_after_the_cut(broker, handler: Recorder, topic: str) -> None:
    await broker.publish(topic, "after the cut")
    await handler.hears(1)
    assert handler.heard == [(topic, "after the cut")]
    await broker.stop()


async def test_after_its_connections_are_cut_the_broker_recovers_and_hears_again(bus):
    kind, make, servers = bus
    if servers is None:
        pytest.skip("the memory bus has no connection to cut")
    broker, handler = await _started(make)
    topic = keys.room_topic(906)
    await handler.subscribe([topic])
    assert handler.recoveries == 1  # the first connection
    await _cut_until_recovered(broker, handler, servers, recoveries=2)
    await _heard_after_the_cut(broker, handler, topic)


class StuckOnce(Recorder):
    """A handler whose first recovery after a cut never returns (a reply that never comes)."""

    async def recover(self) -> None:
        if self.recoveries == 1:  # the first connection's recovery was the first
            self.recoveries += 1
            await asyncio.Event().wait()
        await super().recover()


async def test_a_recovery_that_never_returns_is_abandoned_and_made_again(bus, monkeypatch):
    kind, make, servers = bus
    if servers is None:
        pytest.skip("the memory bus has no connection to cut")
    monkeypatch.setattr(redis_broker, "RECOVER_LIMIT_SECONDS", 1.0)
    broker, handler = await _started(make, StuckOnce)
    topic = keys.room_topic(907)
    await handler.subscribe([topic])
    await _cut_until_recovered(broker, handler, servers, recoveries=3)  # the stuck one, then another
    await _heard_after_the_cut(broker, handler, topic)
