"""Whether Redis keeps what the chat acknowledges, checked before a web node serves.

A message is acknowledged once the send script has run in Redis; until a worker has moved it
into the message store, Redis is its only copy. What survives depends on Redis's settings:

    fsync  appendonly yes, appendfsync always: written to disk before the reply; survives a power cut
    aof    appendonly yes (appendfsync everysec): survives a Redis crash or restart; an operating
           system crash may lose the last second
    none   no append-only file: a Redis restart loses the messages not yet stored (their seq
           numbers are never reused: chat/realtime/sequence.py)

CHAT_REDIS_DURABILITY names the least a node accepts (default `aof`); it refuses to start on a
Redis that keeps less, or that may evict keys under memory pressure. In a Redis Cluster every
node is checked, replicas too: a failover promotes a replica with what it kept.
"""

import logging

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import ResponseError

logger = logging.getLogger(__name__)

LEVELS = ("none", "aof", "fsync")


def redis_durability(client: redis.Redis) -> tuple[str, str]:
    """(level, what Redis says) of a Redis server."""
    try:
        found = client.config_get("append*") | client.config_get("maxmemory*")
    except ResponseError:  # CONFIG is disabled on some managed Redis services: INFO still tells
        info = client.info("persistence") | client.info("memory")
        found = {
            "appendonly": "yes" if info.get("aof_enabled") else "no",
            "appendfsync": "everysec",
            "maxmemory": str(info.get("maxmemory", 0)),
            "maxmemory-policy": info.get("maxmemory_policy", "noeviction"),
        }
    described = ", ".join(f"{key} {found.get(key)}" for key in ("appendonly", "appendfsync", "maxmemory-policy"))
    if str(found.get("maxmemory", "0")) != "0" and found.get("maxmemory-policy") != "noeviction":
        return "none", described  # it may drop seq counters and unstored messages to make room
    if found.get("appendonly") != "yes":
        return "none", described
    return ("fsync" if found.get("appendfsync") == "always" else "aof"), described


def _servers() -> list[tuple[str, redis.Redis]]:
    """(name, client) of every Redis that holds acknowledged messages: every node of a cluster
    (primaries and replicas: a replica is promoted with what it has), or the one Redis."""
    from chat.realtime.redis_client import cluster_mode, sync_redis

    if not cluster_mode():
        return [(settings.REDIS_URL, redis.Redis.from_url(settings.REDIS_URL))]
    servers = []
    # CLUSTER NODES: the cluster client itself knows only the primaries it sends to.
    for address, node in sync_redis().cluster_nodes().items():
        if "fail" in node["flags"] or "noaddr" in node["flags"]:
            continue  # not serving now: it is checked by the nodes that start after it is back
        host, port = address.rsplit(":", 1)
        servers.append((address, redis.Redis(host=node["hostname"] or host, port=int(port))))
    return servers


def check_redis_durability() -> None:
    required = settings.CHAT_REDIS_DURABILITY
    if not settings.REDIS_URL:
        return  # the embedded mode stores each message before it acknowledges it
    if required not in LEVELS:
        raise ImproperlyConfigured(f"CHAT_REDIS_DURABILITY must be one of {', '.join(LEVELS)}, not {required!r}.")
    for name, client in _servers():
        level, described = redis_durability(client)
        if LEVELS.index(level) < LEVELS.index(required):
            raise ImproperlyConfigured(
                f"Redis keeps acknowledged messages only at level {level!r} ({name}: {described}), and "
                f"CHAT_REDIS_DURABILITY asks for {required!r}: turn on Redis's append-only file "
                "(appendonly yes, maxmemory-policy noeviction), or accept the loss window with "
                "CHAT_REDIS_DURABILITY=none."
            )
        if level == "none":
            logger.warning(
                "Redis keeps no append-only file: a Redis restart loses the messages not yet stored (%s: %s)",
                name,
                described,
            )
