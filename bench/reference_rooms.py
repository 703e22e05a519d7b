"""The reference servers' whole protocol: rooms in one process, seq from an in-process counter.

Each reference server wraps this in its own socket layer; the frames and the rules are the same,
so their figures differ only by how a frame reaches the sockets.
"""

import argparse
import json
from collections import defaultdict
from collections.abc import Callable, Coroutine, Iterable

from bench import frames


class Rooms:
    def __init__(self, broadcast: Callable[[Iterable, str], None]):
        self.broadcast = broadcast  # writes one encoded frame to every connection given
        self.members: dict[int, set] = defaultdict(set)
        self.last_seq: dict[int, int] = defaultdict(int)

    def handle(self, connection, raw: str | bytes, joined: list[int]) -> str | None:
        """Applies one client frame; returns the reply to its sender, if any."""
        frame = json.loads(raw)
        kind = frame.get("type")
        if kind == "subscribe":
            channel = frame["channel"]
            self.members[channel].add(connection)
            joined.append(channel)
            return frames.subscribed(channel, self.last_seq[channel])
        if kind == "send":
            channel = frame["channel"]
            self.last_seq[channel] += 1
            message = frames.new_message(frame, self.last_seq[channel])
            self.broadcast(self.members[channel], frames.message_frame(message))
            return frames.ack_frame(message)
        if kind == "ping":
            return frames.PONG
        return None

    def leave(self, connection, joined: list[int]) -> None:
        for channel in joined:
            self.members[channel].discard(connection)


def run_server(description: str, serve: Callable[[str, int], Coroutine], run: Callable[[Coroutine], object]) -> None:
    """The command line of a reference server: --host and --port, 10,000 sockets' worth of files,
    then `serve(host, port)` under the event loop runner given."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    args = parser.parse_args()
    from loadtest.limits import raise_open_file_limit

    raise_open_file_limit()
    run(serve(args.host, args.port))
