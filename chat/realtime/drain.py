"""Graceful drain of one web node before it stops.

1. `draining` is set: /readyz answers 503 and new WebSocket handshakes are refused,
   so health checks and the balancer send new clients to other nodes.
2. Every local connection gets {type: "reconnect", reason: "server_draining", retry_after_ms}
   with a jittered delay, so the clients do not all land on the other nodes at once; they
   reconnect through the balancer and resume with since_seq.
3. The node waits (at most DRAIN_TIMEOUT_SECONDS) for them to leave, closes the rest with
   4012, then calls the exit hook: the launcher (chat/realtime/server.py) stops
   listening, lets in-flight HTTP requests finish and stops the reactor.

Triggers: SIGTERM under the launcher, POST /ops/drain (admin), `manage.py drain_node`.
Everything here runs on the server's event loop.
"""

import asyncio
import logging
import os
import random
import signal
import threading
import time
from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from prometheus_client import Counter, Gauge

logger = logging.getLogger(__name__)

# 1012 (service restart) is what this means, but daphne's WebSocket library only lets the
# server send 1000 or 3000-4999: 4012 mirrors it.
CLOSE_SERVER_DRAINING = 4012
POLL_SECONDS = 0.05

draining_gauge = Gauge("server_draining", "1 while this node is draining before it stops", multiprocess_mode="max")
reconnects_requested = Counter("server_drain_reconnects_total", "Reconnect frames sent to clients by draining nodes")


class Drainable(Protocol):
    def request_reconnect(self, retry_after_ms: int) -> None: ...

    async def close(self, code: int | None = None) -> None: ...


# Set while the node drains before it stops (read by /readyz and the WebSocket handshake).
draining = threading.Event()
connections: set[Drainable] = set()
_task: asyncio.Task | None = None


def _default_exit() -> None:
    # Under plain `daphne`, SIGINT makes Twisted stop the reactor; the launcher replaces this.
    os.kill(os.getpid(), signal.SIGINT)


exit_hook: Callable[[], None] = _default_exit


def jittered_retry_after_ms() -> int:
    return settings.DRAIN_RECONNECT_MIN_MS + random.randint(0, settings.DRAIN_RECONNECT_SPREAD_MS)  # noqa: S311


def start() -> bool:
    """Starts the drain on the running loop; False when one is already under way."""
    global _task
    if _task is not None:
        return False
    _task = asyncio.get_running_loop().create_task(_drain())
    return True


async def _drain() -> None:
    draining.set()
    draining_gauge.set(1)
    started = time.monotonic()
    deadline = started + settings.DRAIN_TIMEOUT_SECONDS
    logger.info(
        "draining: %d connections asked to reconnect", len(connections), extra={"connections": len(connections)}
    )
    told: set[Drainable] = set()
    while True:
        # A handshake that passed the draining check just before it was set registers late: tell it too.
        for connection in connections - told:
            connection.request_reconnect(jittered_retry_after_ms())
            reconnects_requested.inc()
            told.add(connection)
        if not connections or time.monotonic() >= deadline:
            break
        await asyncio.sleep(POLL_SECONDS)
    stragglers = list(connections)
    try:
        for connection in stragglers:
            await connection.close(code=CLOSE_SERVER_DRAINING)
        logger.info(
            "drained in %.1f s (%d connections closed by the server)",
            time.monotonic() - started,
            len(stragglers),
            extra={"stragglers": len(stragglers)},
        )
    finally:
        exit_hook()  # the node leaves even if a close failed
