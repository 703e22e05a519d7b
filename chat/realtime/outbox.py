"""What a connection has still to send, bounded in bytes, written in order through ASGI's send.

A room message reaches every local member as the same ASGI message (encoded once). Each
connection hands its frames to the server's `send` one at a time and learns that a frame has
left when that send completes: with a server whose send waits for the socket (granian, uvicorn)
the frames a client does not read pile up here, where they are counted, and the connection is
closed (4503) once they pass the limit; the client resumes with since_seq.
"""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable


class Outbound:
    """One frame, ready for every connection that gets it."""

    __slots__ = ("message", "size")

    def __init__(self, text: str):
        self.message = {"type": "websocket.send", "text": text}
        self.size = len(text) if text.isascii() else len(text.encode())


class SlowClient(Exception):
    """The client stopped reading: its unsent frames passed the limit, or a replay made no progress."""


class Outbox:
    # One per open socket, nearly always empty: an empty deque and an Event are 760 bytes each, so
    # the queue is made when a second frame waits and the event when someone waits for progress.
    __slots__ = ("send", "limit_bytes", "on_overflow", "queue", "unsent_bytes", "in_flight", "closed", "sealed",
                 "progress")  # fmt: skip

    def __init__(self, send: Callable[[dict], Awaitable], *, limit_bytes: int, on_overflow: Callable[[], None]):
        self.send, self.limit_bytes, self.on_overflow = send, limit_bytes, on_overflow
        self.queue: deque[Outbound] | None = None
        self.unsent_bytes = 0
        self.in_flight: asyncio.Future | None = None
        self.closed = False
        self.sealed = False  # takes no more frames: a close is to follow those it holds
        self.progress: asyncio.Event | None = None  # set whenever a frame has left (made by _waiting)

    def put(self, frame: Outbound) -> None:
        if self.closed or self.sealed:
            return
        self.unsent_bytes += frame.size
        if self.unsent_bytes > self.limit_bytes:
            self.close()
            self.on_overflow()
        elif self.in_flight is None:
            self._start(frame)
        else:
            if self.queue is None:
                self.queue = deque()
            self.queue.append(frame)

    def _start(self, frame: Outbound) -> None:
        # A server's send may return a future (granian) or be a coroutine function (daphne):
        # ensure_future keeps a future as it is and runs a coroutine as a task.
        self.in_flight = asyncio.ensure_future(self.send(frame.message))
        self.in_flight.add_done_callback(lambda future: self._sent(future, frame.size))

    def _sent(self, future: asyncio.Future, size: int) -> None:
        self.in_flight = None
        self.unsent_bytes -= size
        if self.progress is not None:
            self.progress.set()
        if future.cancelled() or future.exception() is not None:
            self.close()  # the socket is gone; its disconnect comes through receive
        elif self.queue and not self.closed:
            self._start(self.queue.popleft())

    async def room_for(self, size: int, *, share: float, stall_seconds: float) -> None:
        """Waits until `size` more bytes keep the unsent ones under `share` of the limit.

        Frames a connection asks for (a replay) pace themselves by the client's reading and
        leave the rest of the limit to live frames; SlowClient when nothing leaves for
        `stall_seconds`.
        """
        while self.unsent_bytes and self.unsent_bytes + size > self.limit_bytes * share:
            if self.closed:
                raise SlowClient
            progress = self._waiting()
            try:
                await asyncio.wait_for(progress.wait(), stall_seconds)
            except TimeoutError:
                # A client that reads nothing for so long is closed like one past the limit (4503):
                # left open, its room would stay in replay and hold its live frames for good.
                self.close()
                self.on_overflow()
                raise SlowClient from None
        if self.closed:
            raise SlowClient

    async def seal(self, stall_seconds: float) -> None:
        """Takes no more frames and waits until those it holds have left, for as long as the client
        reads (gives up when nothing leaves for `stall_seconds`): a close frame sent next reaches the
        client after them (sent beside them, it overtook them)."""
        self.sealed = True
        while (self.queue or self.in_flight is not None) and not self.closed:
            progress = self._waiting()
            try:
                await asyncio.wait_for(progress.wait(), stall_seconds)
            except TimeoutError:
                return

    def _waiting(self) -> asyncio.Event:
        """The event the next frame to leave sets, cleared for a new wait."""
        if self.progress is None:
            self.progress = asyncio.Event()
        self.progress.clear()
        return self.progress

    def close(self) -> None:
        """Drops what is unsent and stops a send stuck on a client that does not read."""
        self.closed = True
        self.queue = None
        if self.progress is not None:
            self.progress.set()
        if self.in_flight is not None:
            self.in_flight.cancel()
