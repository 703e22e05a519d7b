"""Metrics read from Redis at scrape time, and the Celery worker's own /metrics endpoint.

The persistence backlog and the Celery queue are shared by the whole deployment. Every web
node reads them from Redis when Prometheus scrapes it, so the backlog alert still fires when
every worker is dead (a gauge set by the workers would go silent exactly then). Dashboards
take max() over the nodes.

Celery workers serve no HTTP, so with CELERY_METRICS_PORT set a worker serves /metrics on
that port (scheduled runs, the ledger check, persisted messages). Run it with the threads
pool, or set PROMETHEUS_MULTIPROC_DIR for the prefork pool.
"""

import logging
import os
import time

from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily

from chat import keys

logger = logging.getLogger(__name__)

CELERY_QUEUES = ("celery",)
REDIS_TIMEOUT_SECONDS = 1.0


class RedisBacklogCollector:
    """chat_persist_stream_length, chat_persist_oldest_age_seconds, celery_queue_length{queue}."""

    def __init__(self):
        import redis

        self.chat = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=REDIS_TIMEOUT_SECONDS)
        broker = settings.CELERY_BROKER_URL
        self.broker = (
            redis.Redis.from_url(broker, socket_timeout=REDIS_TIMEOUT_SECONDS) if broker.startswith("redis") else None
        )

    def describe(self):
        return []  # values come from Redis at scrape time; nothing to check at registration

    def collect(self):
        try:
            length, first = self._stream_head()
        except Exception:  # an unreachable Redis shows as missing series (and /readyz says why)
            logger.warning("could not read the persistence stream for /metrics", exc_info=True)
        else:
            yield GaugeMetricFamily(
                "chat_persist_stream_length", "Messages in Redis not yet written to the message store", value=length
            )
            # A stream id starts with the milliseconds at which the entry was added.
            age = max(0.0, time.time() - int(first.split(b"-")[0]) / 1000) if first else 0.0
            yield GaugeMetricFamily(
                "chat_persist_oldest_age_seconds", "Age of the oldest message waiting for the message store", value=age
            )
        if self.broker is not None:
            try:
                lengths = [(queue, self.broker.llen(queue)) for queue in CELERY_QUEUES]
            except Exception:
                logger.warning("could not read the Celery queue lengths for /metrics", exc_info=True)
                return
            family = GaugeMetricFamily("celery_queue_length", "Tasks waiting in the broker", labels=["queue"])
            for queue, length in lengths:
                family.add_metric([queue], length)
            yield family

    def _stream_head(self) -> tuple[int, bytes | None]:
        with self.chat.pipeline(transaction=False) as pipe:
            pipe.xlen(keys.PERSIST_STREAM)
            pipe.xrange(keys.PERSIST_STREAM, count=1)
            length, head = pipe.execute()
        return length, head[0][0] if head else None


class BackgroundHeartbeatCollector:
    """background_heartbeat_age_seconds: how long ago beat and a worker last ran a task."""

    def describe(self):
        return []

    def collect(self):
        from config.celery import background_heartbeat_age

        try:
            age = background_heartbeat_age()
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
    if settings.REDIS_URL:
        REGISTRY.register(RedisBacklogCollector())


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
