"""The web node: one ASGI server serving the whole application (REST and /ws/), with a graceful drain.

    python -m chat.realtime.server -b 0.0.0.0 -p 8000

The server runs embedded in this process's event loop, so the signals are ours: SIGTERM or
SIGINT starts the drain (chat/realtime/drain.py), and once every socket has left (or the drain
timed out) the server stops. A second signal stops the node at once. Before it serves, the node
checks that Redis keeps what it acknowledges (chat/realtime/durability.py).

CHAT_WEB_SERVER picks the server. uvicorn (websockets-sansio, the default) refuses a message over
protocol.MAX_MESSAGE_BYTES as its frames arrive (close 1009) and keeps about 36 KiB per idle
socket; granian reassembles messages of up to 64 MiB before the application can refuse them and
gives every socket a 128 KiB read buffer, with no option to change either (BENCHMARKS.md).
"""

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable

import uvloop

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The node checks its idle database connections in the background instead of one empty query
# before every query (core/db_pool.py).
os.environ.setdefault("DATABASE_POOL_CHECK_SECONDS", "5")

logger = logging.getLogger(__name__)

# A node holds thousands of connections of a few hundred objects each; with Python's default
# thresholds (700, 10, 10) full collections of all of them came every few seconds under load
# (bench/NOTES.md). Young garbage is rarely cyclic here: collecting it less often promotes far less.
GC_THRESHOLDS = tuple(int(value) for value in os.environ.get("NODE_GC_THRESHOLDS", "20000,10,10").split(","))


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m chat.realtime.server", description=__doc__.splitlines()[0])
    parser.add_argument("-b", "--bind", default="127.0.0.1", help="address to listen on")
    parser.add_argument("-p", "--port", type=int, default=8000)
    return parser.parse_args(argv)


async def serve(arguments: argparse.Namespace) -> None:
    from django.conf import settings
    from django.utils.module_loading import import_string

    from chat.realtime import drain
    from chat.realtime.durability import check_redis_durability
    from chat.realtime.hubs import get_hub
    from core.db_pool import start_pool_checks

    application = import_string(settings.ASGI_APPLICATION)  # the project's wiring (config/asgi.py)
    check_redis_durability()
    if settings.DATABASE_POOL_CHECK_SECONDS:
        start_pool_checks(settings.DATABASE_POOL_CHECK_SECONDS)
    listening = lambda: logger.info("listening on http://%s:%s", arguments.bind, arguments.port)  # noqa: E731
    server = WEB_SERVERS[settings.CHAT_WEB_SERVER](application, arguments, listening)
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        if drain.start():
            logger.info("%s: draining before exit", signal.Signals(signum).name)
        else:
            logger.warning("%s during the drain: stopping now", signal.Signals(signum).name)
            server.stop()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    drain.exit_hook = server.stop
    serving = loop.create_task(server.serve())
    get_hub().start()  # its subscription connections come up now, not with the first socket
    await asyncio.sleep(0)
    _settle_garbage_collector()
    await serving
    logger.info("node stopped")


def _granian(application, arguments: argparse.Namespace, listening: Callable[[], None]):
    from granian.constants import Interfaces
    from granian.server.embed import Server

    # Client addresses behind a proxy come from TRUSTED_PROXIES (core/web/proxies.py), not from here.
    server = Server(
        application, address=arguments.bind, port=arguments.port, interface=Interfaces.ASGINL, log_enabled=False
    )
    # Granian calls its startup hooks once the socket is bound: a busy port never says "listening".
    server.on_startup(listening)
    return server


def _uvicorn(application, arguments: argparse.Namespace, listening: Callable[[], None]):
    import uvicorn

    from chat.realtime.protocol import MAX_MESSAGE_BYTES

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self):
            yield  # the node's own handlers (serve()) drain first, then call stop()

        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)  # exits the process if the port is taken
            listening()

        def stop(self) -> None:
            self.should_exit = True

    config = uvicorn.Config(
        application,
        host=arguments.bind,
        port=arguments.port,
        loop="none",  # this process's uvloop
        http="httptools",
        ws="websockets-sansio",
        ws_max_size=MAX_MESSAGE_BYTES,
        # Chat frames are a few hundred bytes: compression saves little on the wire and costs about
        # 46 KiB of zlib state per socket (BENCHMARKS.md), so the product offers none.
        ws_per_message_deflate=False,
        ws_ping_interval=None,  # silent sockets are the idle sweep's (chat/realtime/idle.py), one timer per node
        lifespan="off",
        proxy_headers=False,  # client addresses come from TRUSTED_PROXIES (core/web/proxies.py)
        server_header=False,
        access_log=False,
        log_config=None,
    )
    return Server(config)


# CHAT_WEB_SERVER -> a server of the application with serve() and stop().
WEB_SERVERS = {"uvicorn": _uvicorn, "granian": _granian}


def _settle_garbage_collector() -> None:
    """Everything loaded at start-up (Django, the URL conf, the application) lives as long as the
    node: moved out of the collector's sight, it is never scanned again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def main(argv: list[str]) -> None:
    uvloop.run(serve(_arguments(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
