"""The web node launcher: daphne with a graceful drain on SIGTERM.

    python -m config.server -b 0.0.0.0 -p 8000      # daphne's options; it serves config.asgi:application

Daphne lets Twisted install its signal handlers, and Twisted stops the reactor at the first
SIGTERM or SIGINT: every open WebSocket is cut with no warning. Here the server runs with
`signal_handlers=False` and the signals go to the event loop instead, where they start the
drain (config/drain.py). When the drain is done the node stops listening, waits for the HTTP
requests in flight (at most HTTP_FINISH_SECONDS) and stops the reactor. A second signal stops
the node at once.
"""

import asyncio
import gc
import logging
import os
import signal
import sys
import time

import uvloop

# daphne makes Twisted's event loop when it is imported: uvloop's, from here on (part of
# the 10-15 % less CPU per message measured in bench/NOTES.md).
asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

from daphne.cli import CommandLineInterface  # noqa: E402  installs Twisted's asyncio reactor: import it first
from daphne.server import Server  # noqa: E402
from twisted.internet import reactor  # noqa: E402

from config import drain, frame_writer  # noqa: E402

logger = logging.getLogger("config.server")

APPLICATION = "config.asgi:application"
HTTP_FINISH_SECONDS = 5.0
# A node holds thousands of connections of a few hundred objects each. With Python's default
# thresholds (700, 10, 10) the collector ran every 700 allocations and promoted whatever was in
# flight, so full collections of millions of objects came every few seconds under load: 20 s
# of a node's first three minutes, pauses up to 1.7 s (bench/NOTES.md). Young garbage is
# rarely cyclic here; collecting it less often promotes far less.
GC_THRESHOLDS = tuple(int(value) for value in os.environ.get("NODE_GC_THRESHOLDS", "20000,10,10").split(","))


class DrainingServer(Server):
    def __init__(self, *args, **kwargs):
        kwargs["signal_handlers"] = False  # ours below: Twisted's would stop the reactor at once
        kwargs["action_logger"] = None  # config.request_id writes the access log, with request ids
        super().__init__(*args, **kwargs)
        self.ports = []

    def run(self):
        reactor.callWhenRunning(self._take_over_signals)
        reactor.callWhenRunning(_settle_garbage_collector)
        super().run()

    def listen_success(self, port):
        self.ports.append(port)
        super().listen_success(port)

    def create_application(self, protocol, scope):
        frame_writer.add_to_scope(protocol, scope)  # room frames straight to the socket (config/frame_writer.py)
        return super().create_application(protocol, scope)

    def _take_over_signals(self) -> None:
        loop = asyncio.get_event_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._on_signal, signum)
        drain.exit_hook = self._exit_after_drain

    def _on_signal(self, signum: int) -> None:
        if drain.start():
            logger.info("%s: draining before exit", signal.Signals(signum).name)
        else:
            logger.warning("%s during the drain: stopping now", signal.Signals(signum).name)
            reactor.stop()

    def _exit_after_drain(self) -> None:
        for port in self.ports:
            port.stopListening()
        self._stop_when_idle(time.monotonic() + HTTP_FINISH_SECONDS)

    def _stop_when_idle(self, deadline: float) -> None:
        # A client may have read its response and gone while the application still finishes
        # (request_finished, the access log line): wait for the application, not the socket.
        in_flight = [
            details
            for details in self.connections.values()
            if details.get("application_instance") is not None and not details["application_instance"].done()
        ]
        if in_flight and time.monotonic() < deadline:
            reactor.callLater(0.05, self._stop_when_idle, deadline)
            return
        logger.info("node stopped")
        reactor.stop()


def _settle_garbage_collector() -> None:
    """Everything loaded at start-up (Django, the URL conf, the application) lives as long as the
    node: moved out of the collector's sight, it is never scanned again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class DrainingCommandLine(CommandLineInterface):
    server_class = DrainingServer


def main(argv: list[str]) -> None:
    DrainingCommandLine().run([*argv, APPLICATION])


if __name__ == "__main__":
    main(sys.argv[1:])
