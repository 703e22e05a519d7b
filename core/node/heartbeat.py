"""When background work (beat and a worker) last ran: written by a task, read by /readyz and /metrics.

Kept in the cache, which is Redis in production (shared by every node and worker) and the
process's memory in the embedded mode (where beat runs inside the web process).
"""

import time

from django.core.cache import cache

HEARTBEAT_KEY = "background:heartbeat"


def heartbeat_write() -> None:
    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)


def heartbeat_age() -> float | None:
    """Seconds since background work last ran; None if it never has."""
    beat = cache.get(HEARTBEAT_KEY)
    return None if beat is None else max(0.0, time.time() - beat)
