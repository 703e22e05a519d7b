"""Chat metrics on /metrics."""

import logging
import time

from django.conf import settings
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

from chat.realtime import keys

logger = logging.getLogger(__name__)
REDIS_TIMEOUT_SECONDS = 1.0

connections_open = Gauge(
    "chat_connections_open", "Open WebSocket connections in this process", multiprocess_mode="livesum"
)
messages_in = Counter("chat_messages_in_total", "Chat messages accepted from clients (WebSocket and REST)")
frames_out = Counter("chat_frames_out_total", "Frames written to local WebSocket connections")
delivery_latency = Histogram(
    "chat_delivery_latency_seconds",
    "From a message's publish to its hand-off to local sockets",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
client_errors = Counter("chat_client_errors_total", "Error frames sent to clients", ["code"])
messages_persisted = Counter("chat_messages_persisted_total", "Messages written to the message store by workers")
persist_backlog = Gauge(
    "chat_persist_backlog", "Messages buffered in Redis and not yet in the message store", multiprocess_mode="max"
)
seqs_skipped = Counter(
    "chat_seqs_skipped_total", "Seqs a room found in neither the tail nor the store when filling a gap (lost)"
)
room_resyncs = Counter("chat_room_resyncs_total", "Rooms that told their subscribers to resync")
hub_reconnects = Counter("chat_hub_reconnects_total", "Times a node's room subscription connection was made anew")
gaps_filled = Counter("chat_gaps_filled_total", "Gaps in a room's live stream filled from the tail or the store")
outbound_closed = Counter("chat_slow_clients_closed_total", "Connections closed (4503) because the client did not read")
dead_letters = Counter("chat_messages_dead_lettered_total", "Messages the store refused, kept as dead letters")


class PersistenceBacklogCollector:
    """chat_persist_stream_length and chat_persist_oldest_age_seconds, read from Redis at scrape time:
    every web node reports them, so the backlog alerts fire even when every worker is dead."""

    def __init__(self):
        from chat.realtime.redis_client import sync_redis

        self.redis = sync_redis(socket_timeout=REDIS_TIMEOUT_SECONDS)

    def describe(self):
        return []

    def collect(self):
        try:
            streams = keys.persist_streams()
            with self.redis.pipeline(transaction=False) as pipe:
                for stream in streams:
                    pipe.xlen(stream)
                    pipe.xrange(stream, count=1)
                replies = pipe.execute()
        except Exception:  # an unreachable Redis shows as missing series (and /readyz says why)
            logger.warning("could not read the persistence streams for /metrics", exc_info=True)
            return
        length = sum(replies[0::2])
        heads = [head[0][0] for head in replies[1::2] if head]
        yield GaugeMetricFamily(
            "chat_persist_stream_length", "Messages in Redis not yet written to the message store", value=length
        )
        # A stream id starts with the milliseconds at which the entry was added.
        oldest = min((int(entry_id.split(b"-")[0]) for entry_id in heads), default=None)
        age = max(0.0, time.time() - oldest / 1000) if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "chat_persist_oldest_age_seconds", "Age of the oldest message waiting for the message store", value=age
        )


class OutboxBacklogCollector:
    """chat_outbox_backlog and chat_outbox_oldest_age_seconds, read from the database at scrape
    time: what writes announced and the relay has not published (Redis away, or no relay)."""

    def describe(self):
        return []

    def collect(self):
        from chat.selectors import outbox_backlog

        try:
            count, age = outbox_backlog()
        except Exception:  # an unreachable database shows as missing series (and /readyz says why)
            logger.warning("could not read the outbox for /metrics", exc_info=True)
            return
        yield GaugeMetricFamily(
            "chat_outbox_backlog", "Announcements of committed writes not yet published", value=count
        )
        yield GaugeMetricFamily(
            "chat_outbox_oldest_age_seconds", "Age of the oldest announcement waiting to be published", value=age
        )


def register_web_collectors() -> None:
    """Called once by config.asgi, in web nodes only."""
    REGISTRY.register(OutboxBacklogCollector())
    if settings.REDIS_URL:
        REGISTRY.register(PersistenceBacklogCollector())
