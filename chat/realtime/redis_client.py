"""Redis clients for the chat's realtime path: one Redis (REDIS_URL), or a Redis Cluster
(REDIS_CLUSTER_NODES), through redis-py's cluster clients. One client per event loop (async)
and one per process (sync); the cache is keyed by the settings too, so a test that points the
process at another Redis gets another client.
"""

import asyncio
from functools import cache

import redis
import redis.asyncio as aioredis
from django.conf import settings
from redis.asyncio.cluster import ClusterNode as AsyncClusterNode
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, RedisCluster

from chat.realtime.redis_pool import MAX_CONNECTIONS, pool_from_url

_async_clients: dict[tuple, aioredis.Redis | AsyncRedisCluster] = {}


def cluster_mode() -> bool:
    return bool(settings.REDIS_CLUSTER_NODES)


def cluster_addresses(nodes: tuple[str, ...] | list[str] | None = None) -> list[tuple[str, int]]:
    """(host, port) of REDIS_CLUSTER_NODES (or of the nodes given)."""
    addresses = []
    for node in settings.REDIS_CLUSTER_NODES if nodes is None else nodes:
        host, port = node.rsplit(":", 1)
        addresses.append((host, int(port)))
    return addresses


def async_cluster(*, retry: bool = True) -> AsyncRedisCluster:
    """A new asyncio cluster client. Without retry, a failed command or pipeline is not sent again
    behind the caller's back (the send path must know which connection carried its writes)."""
    options = {} if retry else {"retry": AsyncRetry(NoBackoff(), 0)}
    return AsyncRedisCluster(
        startup_nodes=[AsyncClusterNode(host, port) for host, port in cluster_addresses()],
        max_connections=MAX_CONNECTIONS,
        **options,
    )


def async_redis(*, retry: bool = True) -> aioredis.Redis | AsyncRedisCluster:
    """A client bound to the running loop (asyncio clients cannot cross loops)."""
    key = (id(asyncio.get_running_loop()), settings.REDIS_URL, tuple(settings.REDIS_CLUSTER_NODES), retry)
    client = _async_clients.get(key)
    if client is None:
        if cluster_mode():
            client = async_cluster(retry=retry)
        else:
            client = aioredis.Redis(connection_pool=pool_from_url(settings.REDIS_URL))
        _async_clients[key] = client
    return client


def sync_redis(*, socket_timeout: float | None = None) -> redis.Redis | RedisCluster:
    return _sync_client(settings.REDIS_URL, tuple(settings.REDIS_CLUSTER_NODES), socket_timeout)


@cache
def _sync_client(url: str, cluster_nodes: tuple[str, ...], socket_timeout: float | None) -> redis.Redis | RedisCluster:
    if cluster_nodes:
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in cluster_addresses(cluster_nodes)],
            socket_timeout=socket_timeout,
        )
    return redis.Redis.from_url(url, socket_timeout=socket_timeout)


async def serving_node(client, key: str) -> str:
    """host:port of the primary that serves the key now (a cluster's slot map), or "redis" for
    one Redis."""
    if isinstance(client, AsyncRedisCluster):
        await client.initialize()
        return client.get_node_from_key(key).name
    return "redis"


def publish_command() -> str:
    """Sharded pub/sub in a cluster: a topic lives on its slot's shard, not on every node."""
    return "SPUBLISH" if cluster_mode() else "PUBLISH"


async def publish(topic: str, payload: str) -> None:
    await async_redis().execute_command(publish_command(), topic, payload)


def publish_from_thread(topic: str, payload: str) -> None:
    sync_redis().execute_command(publish_command(), topic, payload)


async def get_many(keys: list[str]) -> list:
    """GET of many keys: one MGET on one Redis; in a cluster, one per slot (redis-py groups them)."""
    client = async_redis()
    if cluster_mode():
        return await client.mget_nonatomic(keys)
    return await client.mget(keys)
