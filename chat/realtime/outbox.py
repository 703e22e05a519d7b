"""What a connection has still to send, bounded in bytes, written in order through ASGI's send.

A room message reaches every local member as the same ASGI message (encoded once). Each
connection hands its frames to the server's `send` one at a time and learns that a frame has
left when that send completes: with a server whose send waits for the socket (granian, uvicorn)
the frames a client does not read pile up here, where they are counted, and the connection is
closed (4503) once they pass the limit; the client resumes with since_seq.
"""

import asyncio
import types
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
        # Frames that leave at once are sent here, in a loop: the first one that has to wait for
        # the socket goes on as a future, and the rest of the queue follows from its callback.
        while True:
            waiting = self._send_now(frame)
            if waiting is not None:
                self.in_flight = waiting
                waiting.add_done_callback(lambda future, size=frame.size: self._sent(future, size))
                return
            if not self._left(frame.size, failed=False):
                return
            frame = self.queue.popleft()

    def _send_now(self, frame: Outbound) -> asyncio.Future | None:
        """Sends the frame; None if it has left already, else the future of its send.

        A server's send is a coroutine function (uvicorn, daphne) or returns a future (granian).
        The coroutine is run at once, as Python 3.12's eager tasks run one: uvicorn's send of a
        frame to a socket that is not flow-controlled finishes without waiting, so a task per frame
        (made, scheduled, stepped a loop turn later) would cost a delivery time and CPU for nothing.
        """
        sending = self.send(frame.message)
        if not asyncio.iscoroutine(sending):
            return asyncio.ensure_future(sending)
        try:
            awaited = sending.send(None)
        except StopIteration:
            return None
        except Exception as error:  # noqa: BLE001 - the socket is gone: the future says so, as a task's would
            failed = asyncio.get_running_loop().create_future()
            failed.set_exception(error)
            return failed
        return asyncio.ensure_future(_finish(sending, awaited))

    def _sent(self, future: asyncio.Future, size: int) -> None:
        self.in_flight = None
        if self._left(size, failed=future.cancelled() or future.exception() is not None):
            self._start(self.queue.popleft())

    def _left(self, size: int, *, failed: bool) -> bool:
        """A frame has left (or its send failed); True when a queued one is to go next."""
        self.unsent_bytes -= size
        if self.progress is not None:
            self.progress.set()
        if failed:
            self.close()  # the socket is gone; its disconnect comes through receive
            return False
        return bool(self.queue) and not self.closed

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


@types.coroutine
def _finish(coroutine, awaited):
    """The rest of a coroutine already run up to its first wait: what `yield from` would do with it."""
    try:
        while True:
            try:
                sent = yield awaited
            except BaseException as error:  # noqa: BLE001 - a cancellation goes into the coroutine, as a task's
                awaited = coroutine.throw(error)
            else:
                awaited = coroutine.send(sent)
    except StopIteration as stop:
        return stop.value
