"""Metrics read at scrape time, and the Celery worker's own /metrics endpoint.

The Celery queue and the background heartbeat are shared by the whole deployment. Every web
node reads them when Prometheus scrapes it, so their alerts still fire when every worker is
dead (a gauge set by the workers would go silent exactly then). Dashboards take max() over
the nodes. The chat's persistence backlog is read the same way (chat/metrics.py).

Celery workers serve no HTTP, so with CELERY_METRICS_PORT set a worker serves /metrics on
that port (scheduled runs, the ledger check, persisted messages). Run it with the threads
pool, or set PROMETHEUS_MULTIPROC_DIR for the prefork pool.
"""

import logging
import os

from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily

from core.node.heartbeat import heartbeat_age

logger = logging.getLogger(__name__)

CELERY_QUEUES = ("celery",)
REDIS_TIMEOUT_SECONDS = 1.0


class CeleryQueueCollector:
    """celery_queue_length{queue}: tasks waiting in a Redis broker, read at scrape time."""

    def __init__(self, broker_url: str):
        import redis

        self.broker = redis.Redis.from_url(broker_url, socket_timeout=REDIS_TIMEOUT_SECONDS)

    def describe(self):
        return []  # values come from Redis at scrape time; nothing to check at registration

    def collect(self):
        try:
            lengths = [(queue, self.broker.llen(queue)) for queue in CELERY_QUEUES]
        except Exception:
            logger.warning("could not read the Celery queue lengths for /metrics", exc_info=True)
            return
        family = GaugeMetricFamily("celery_queue_length", "Tasks waiting in the broker", labels=["queue"])
        for queue, length in lengths:
            family.add_metric([queue], length)
        yield family


class BackgroundHeartbeatCollector:
    """background_heartbeat_age_seconds: how long ago beat and a worker last ran a task."""

    def describe(self):
        return []

    def collect(self):
        try:
            age = heartbeat_age()
        except Exception:
            logger.warning("could not read the background heartbeat for /metrics", exc_info=True)
            return
        if age is not None:
            yield GaugeMetricFamily(
                "background_heartbeat_age_seconds",
                "Seconds since background work (beat and a worker) last ran",
                value=age,
            )


def register_web_collectors() -> None:
    """Called once by config.asgi: only web nodes read the shared queues at scrape time."""
    REGISTRY.register(BackgroundHeartbeatCollector())
    if settings.CELERY_BROKER_URL.startswith("redis"):
        REGISTRY.register(CeleryQueueCollector(settings.CELERY_BROKER_URL))


def start_worker_metrics_server() -> None:
    """Serves /metrics from a Celery worker when CELERY_METRICS_PORT is set."""
    port = os.environ.get("CELERY_METRICS_PORT")
    if not port:
        return
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    start_http_server(int(port), addr=os.environ.get("CELERY_METRICS_ADDR", "0.0.0.0"), registry=registry)  # noqa: S104
    logger.info("worker metrics on port %s", port)
