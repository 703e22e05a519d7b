"""The connections a node's hub hears Redis on: one pub/sub connection to one Redis, or, in a
Redis Cluster, one per shard (sharded pub/sub: SSUBSCRIBE on the primary that owns the topic's
slot, found with redis-py's cluster client; its asyncio client has no pub/sub of its own).

No retry is hidden here: a connection that breaks, or a shard that no longer serves a topic
(MOVED, or a SUNSUBSCRIBE nobody asked for after its slots moved), raises, and the hub makes a
new set, which finds the cluster's shards again.
"""

from collections import Counter

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from chat.realtime import keys

CONNECT_TIMEOUT_SECONDS = 5
NO_RETRY = {"retry": Retry(NoBackoff(), 0), "socket_keepalive": True, "socket_connect_timeout": CONNECT_TIMEOUT_SECONDS}


class Subscriptions:
    """One pub/sub connection to one Redis."""

    subscribe_command, unsubscribe_command, publish_command = "SUBSCRIBE", "UNSUBSCRIBE", "PUBLISH"
    message_type, confirmation_type, unsubscribed_type = "message", "subscribe", "unsubscribe"

    def __init__(self, redis_url: str):
        self.redis_url = redis_url
        self.connections: dict[str, aioredis.client.PubSub] = {}
        self.unsubscribing: Counter[bytes] = Counter()

    async def open(self) -> None:
        self.client = aioredis.Redis(connection_pool=aioredis.ConnectionPool.from_url(self.redis_url, **NO_RETRY))
        self.connections = {"node": self.client.pubsub()}
        await self.connections["node"].connect()

    def connection_for(self, topic: str) -> aioredis.client.PubSub:
        return self.connections["node"]

    def heartbeat_tags(self) -> list[str]:
        """One hash tag per connection: a topic with it is heard on that connection."""
        return list(self.connections)

    async def publish(self, topic: str, payload: str) -> None:
        await self.client.execute_command(self.publish_command, topic, payload)

    def command_group(self, topic: str) -> object:
        """Topics of one group may go in one command: any for one Redis."""
        return None

    async def subscribe(self, topics: list[str]) -> None:
        groups: dict[tuple, tuple[aioredis.client.PubSub, list[str]]] = {}
        for topic in topics:
            connection = self.connection_for(topic)
            groups.setdefault((id(connection), self.command_group(topic)), (connection, []))[1].append(topic)
        for connection, its_topics in groups.values():
            await connection.execute_command(self.subscribe_command, *its_topics)

    async def unsubscribe(self, topic: str) -> None:
        self.unsubscribing[topic.encode()] += 1
        await self.connection_for(topic).execute_command(self.unsubscribe_command, topic)

    async def next_event(self, connection) -> tuple[str, bytes, bytes] | None:
        """("message" or "subscribe", topic, data) of the connection's next reply, or None."""
        message = await connection.get_message(timeout=None)  # blocks: no timer per message
        if message is None:
            return None
        kind, topic = message["type"], message["channel"]
        if kind == self.unsubscribed_type:
            if not self.unsubscribing[topic]:
                raise ConnectionError(f"Redis ended the subscription to {topic!r} (its slot moved)")
            self.unsubscribing[topic] -= 1
            return None
        if kind == self.message_type:
            return "message", topic, message["data"]
        if kind == self.confirmation_type:
            return "subscribe", topic, b""
        return None

    async def close(self) -> None:
        for connection in self.connections.values():
            try:
                await connection.aclose()
            except Exception:  # noqa: BLE001 - a dead connection closes as it can
                pass


class ShardedSubscriptions(Subscriptions):
    """One sharded pub/sub connection per primary of a Redis Cluster."""

    subscribe_command, unsubscribe_command, publish_command = "SSUBSCRIBE", "SUNSUBSCRIBE", "SPUBLISH"
    message_type, confirmation_type, unsubscribed_type = "smessage", "ssubscribe", "sunsubscribe"

    async def open(self) -> None:
        from chat.realtime.redis_client import async_cluster

        self.client = async_cluster(retry=False)  # the shards as they are now, for this set only
        await self.client.initialize()
        for node in self.client.get_primaries():
            connection = aioredis.Redis(host=node.host, port=node.port, **NO_RETRY).pubsub()
            await connection.connect()
            self.connections[node.name] = connection

    def connection_for(self, topic: str) -> aioredis.client.PubSub:
        return self.connections[self.client.get_node_from_key(topic).name]

    def command_group(self, topic: str) -> object:
        """One SSUBSCRIBE takes topics of one slot only (CROSSSLOT otherwise)."""
        return self.client.keyslot(topic)

    def heartbeat_tags(self) -> list[str]:
        return [
            keys.tag_where(lambda tag, name=name: self.client.get_node_from_key(f"{{{tag}}}").name == name, "hb")
            for name in self.connections
        ]

    async def close(self) -> None:
        await super().close()
        await self.client.aclose()
