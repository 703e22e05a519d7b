"""Test session guards and fixtures shared by every app.

The suite runs against real PostgreSQL and Redis (bin/test provides them). Running it
against SQLite is allowed only when asked for explicitly (TEST_EMBEDDED=1), so a missing
service never turns into a silently weaker run.
"""

import asyncio
import os

import pytest

EMBEDDED = os.environ.get("TEST_EMBEDDED") == "1"
# Tests marked `redis_modes` run once on one Redis and once on a Redis Cluster (production only).
REDIS_MODES = ["single"] if EMBEDDED else ["single", "cluster"]


def pytest_configure(config):
    if not EMBEDDED and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError(
            "DATABASE_URL must point at PostgreSQL (run bin/test), or set TEST_EMBEDDED=1 for the embedded-mode run."
        )
    if not EMBEDDED and not os.environ.get("REDIS_URL"):
        raise pytest.UsageError("REDIS_URL must point at Redis (run bin/test), or set TEST_EMBEDDED=1.")


def pytest_generate_tests(metafunc):
    if "redis_mode" in metafunc.fixturenames and metafunc.definition.get_closest_marker("redis_modes"):
        metafunc.parametrize("redis_mode", REDIS_MODES, indirect=True, scope="module")


@pytest.fixture(scope="module")
def redis_mode(request) -> str:
    """ "single" (REDIS_URL) or "cluster" (REDIS_CLUSTER_NODES) for the servers a test starts."""
    return getattr(request, "param", "single")


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory):
    """A three-primary Redis Cluster with a replica each, shared by the cluster-mode tests."""
    from chat.tests.live import RedisClusterServers

    cluster = RedisClusterServers("cluster", tmp_path_factory.mktemp("redis-cluster"))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session", autouse=True)
def _empty_test_redis():
    """Each run gets a fresh test database, so its Redis database (seq counters, tails) starts empty too."""
    if not EMBEDDED:
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


@pytest.fixture(scope="session", autouse=True)
def _close_the_async_tests_connections(django_db_setup, django_db_blocker):
    """Async tests reach the ORM through asgiref's one thread-sensitive executor thread; its
    connection would outlive the run and keep the test database from being dropped."""
    yield
    from asgiref.sync import sync_to_async
    from django.db import connections

    with django_db_blocker.unblock():
        asyncio.run(sync_to_async(connections.close_all)())


@pytest.fixture(autouse=True)
def _fresh_cache_and_throttles():
    """Throttle counters live in the cache (and the embedded mode's send budgets in memory); start
    every test with none."""
    from django.core.cache import cache

    from chat.realtime.ratelimit import forget_local_budgets

    cache.clear()
    forget_local_budgets()
    yield


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
