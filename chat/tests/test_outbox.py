"""A connection's outbox with the three shapes of a server's send: a coroutine that finishes at once
(uvicorn writing to a socket with room), one that waits for the socket (flow control: the client
reads slowly), and a plain future (granian). Frames leave in order, each once, and the unsent bytes
are counted until they leave; a client that stops reading is cut off at the limit."""

import asyncio

import pytest

from chat.realtime.outbox import Outbound, Outbox

pytestmark = pytest.mark.asyncio


class Socket:
    """The far end: takes frames at once until `paused`, then holds each send until resumed."""

    def __init__(self):
        self.received: list[str] = []
        self.room = asyncio.Event()
        self.room.set()

    async def send(self, message: dict) -> None:
        if not self.room.is_set():
            await self.room.wait()
        self.received.append(message["text"])

    def pause(self) -> None:
        self.room.clear()

    def resume(self) -> None:
        self.room.set()


def _outbox(send, limit_bytes: int = 1_000) -> tuple[Outbox, list[str]]:
    overflows: list[str] = []
    return Outbox(send, limit_bytes=limit_bytes, on_overflow=lambda: overflows.append("too slow")), overflows


async def test_frames_to_a_socket_with_room_leave_before_put_returns():
    socket = Socket()
    outbox, _ = _outbox(socket.send)
    for number in range(3):
        outbox.put(Outbound(f"frame {number}"))
        assert socket.received[-1] == f"frame {number}"  # no task, no loop turn in between
    assert outbox.unsent_bytes == 0 and outbox.in_flight is None


async def test_a_socket_that_waits_gets_every_frame_in_order_once_it_reads_again():
    socket = Socket()
    outbox, overflows = _outbox(socket.send)
    outbox.put(Outbound("before"))
    socket.pause()
    for number in range(5):
        outbox.put(Outbound(f"held {number}"))
    await asyncio.sleep(0.01)
    assert socket.received == ["before"]
    assert outbox.unsent_bytes == 5 * len("held 0")

    socket.resume()
    await outbox.seal(stall_seconds=1)
    assert socket.received == ["before"] + [f"held {number}" for number in range(5)]
    assert outbox.unsent_bytes == 0 and not overflows


async def test_a_client_that_stops_reading_is_cut_off_at_the_limit_and_its_send_stopped():
    socket = Socket()
    outbox, overflows = _outbox(socket.send, limit_bytes=100)
    socket.pause()
    for number in range(20):
        outbox.put(Outbound(f"frame {number:02}"))  # 8 bytes each: the 13th passes 100
    assert overflows == ["too slow"] and outbox.closed
    await asyncio.sleep(0.01)
    socket.resume()
    await asyncio.sleep(0.01)
    assert socket.received == []  # the send that waited was cancelled; nothing queued went out


async def test_a_send_that_fails_at_once_closes_the_outbox():
    async def gone(message):
        raise ConnectionResetError("the client went away")

    outbox, _ = _outbox(gone)
    outbox.put(Outbound("lost"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert outbox.closed
    outbox.put(Outbound("after"))  # taken and dropped: the disconnect comes through receive
    assert outbox.unsent_bytes == 0


async def test_a_server_whose_send_returns_a_future_gets_its_frames_in_order():
    loop = asyncio.get_running_loop()
    sent: list[str] = []

    def send(message):  # granian's shape: a future completed by the server's own thread
        future = loop.create_future()
        loop.call_soon(lambda: (sent.append(message["text"]), future.set_result(None)))
        return future

    outbox, _ = _outbox(send)
    for number in range(4):
        outbox.put(Outbound(f"frame {number}"))
    await outbox.seal(stall_seconds=1)
    assert sent == [f"frame {number}" for number in range(4)]
    assert outbox.unsent_bytes == 0
