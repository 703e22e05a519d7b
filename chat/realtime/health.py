"""The web node's liveness and readiness endpoints, for load balancers and orchestrators."""

import asyncio
import logging

import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from chat.realtime import drain
from core.node.heartbeat import heartbeat_age

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0
BACKGROUND_STALE_HEARTBEATS = 6  # heartbeats missed before background work counts as stopped


async def healthz(request):
    return JsonResponse({"status": "ok"})


def _database_answers() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0] == 1


async def _redis_answers() -> bool:
    from chat.realtime.redis_client import async_redis, cluster_mode

    client = aioredis.from_url(settings.REDIS_URL)  # Celery's broker and the cache; the realtime path without a cluster
    try:
        answers = bool(await client.ping())
    finally:
        await client.aclose()
    if cluster_mode():  # the realtime path's cluster: every shard's primary answers
        answers = answers and bool(await async_redis().ping(target_nodes="primaries"))
    return answers


async def _check(name: str, coroutine) -> tuple[str, bool]:
    try:
        return name, bool(await asyncio.wait_for(coroutine, CHECK_TIMEOUT_SECONDS))
    except Exception:  # any failure means "not ready"; the reason goes to the log
        logger.warning("readiness check %s failed", name, exc_info=True)
        return name, False


def _background_runs() -> bool:
    age = heartbeat_age()
    return age is not None and age <= BACKGROUND_STALE_HEARTBEATS * settings.BACKGROUND_HEARTBEAT_SECONDS


async def readyz(request):
    checks = [_check("database", sync_to_async(_database_answers)())]
    if settings.REDIS_URL:  # the embedded mode has no Redis (fan-out in process): nothing to ask or report
        checks.append(_check("redis", _redis_answers()))
    checks.append(_check("background", sync_to_async(_background_runs)()))
    results = dict(await asyncio.gather(*checks))
    results["draining"] = drain.draining.is_set()
    # Background work (persistence, schedules) is reported, not required: a node without it still
    # serves chat, and taking every node out of the balancer for a dead worker would be an outage.
    ready = results["database"] and results.get("redis", True) and not results["draining"]
    return JsonResponse({"ready": ready, "checks": results}, status=200 if ready else 503)
