"""Redis clients for the chat path, one per event loop (async) and one per process (sync)."""

import asyncio
from functools import cache

import redis
import redis.asyncio as aioredis
from django.conf import settings

from chat.redis_pool import pool_from_url

_async_clients: dict[int, aioredis.Redis] = {}


def async_redis() -> aioredis.Redis:
    """A client bound to the running loop (asyncio clients cannot cross loops)."""
    loop_id = id(asyncio.get_running_loop())
    client = _async_clients.get(loop_id)
    if client is None:
        client = aioredis.Redis(connection_pool=pool_from_url(settings.REDIS_URL))
        _async_clients[loop_id] = client
    return client


@cache
def sync_redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)
