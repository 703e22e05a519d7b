"""The web node: granian serving the whole application (REST and /ws/), with a graceful drain.

    python -m chat.realtime.server -b 0.0.0.0 -p 8000

Granian runs embedded in this process's event loop (its documented embedding API), so the
signals are ours: SIGTERM or SIGINT starts the drain (chat/realtime/drain.py), and once every socket
has left (or the drain timed out) the server stops. A second signal stops the node at once.
Before it serves, the node checks that Redis keeps what it acknowledges (chat/durability.py).
"""

import argparse
import asyncio
import gc
import logging
import os
import signal
import sys

import uvloop

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

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
    from granian.constants import Interfaces
    from granian.server.embed import Server

    from chat.durability import check_redis_durability
    from chat.realtime import drain
    from chat.realtime.hubs import get_hub
    from config.asgi import application

    check_redis_durability()
    # Client addresses behind a proxy come from TRUSTED_PROXIES (config/proxies.py), not from here.
    server = Server(
        application, address=arguments.bind, port=arguments.port, interface=Interfaces.ASGINL, log_enabled=False
    )
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
    # Granian calls its startup hooks once the socket is bound: a busy port never says "listening".
    server.on_startup(lambda: logger.info("listening on http://%s:%s", arguments.bind, arguments.port))
    serving = loop.create_task(server.serve())
    get_hub().start()  # its subscription connections come up now, not with the first socket
    await asyncio.sleep(0)
    _settle_garbage_collector()
    await serving
    logger.info("node stopped")


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
