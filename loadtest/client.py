"""One simulated user: a WebSocket to /ws/, its subscriptions, its sends and what it receives.

Frames follow docs/api.md "WebSocket". Each send carries its wall-clock send time in its
client_msg_id ("<tag>-<n>-<time>"), so whoever receives the message or its ack knows its age
without asking the sender.

The socket is an asyncio protocol around websockets' Sans-I/O ClientProtocol: frames are
handled in data_received as they are parsed, with no task switch per frame, so one load
process keeps up with tens of thousands of frames a second (the tool must not be the
bottleneck). websockets still does the protocol: handshake, pongs, close, masking.
"""

import asyncio
import json
import ssl
import time
from array import array
from urllib.parse import urlparse

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.typing import Origin
from websockets.uri import parse_uri

from loadtest.stats import Recorder

SUBSCRIBE_TIMEOUT_SECONDS = 60
HANDSHAKE_TIMEOUT_SECONDS = 60
CLOSE_TIMEOUT_SECONDS = 5
MAX_FRAME_BYTES = 2**22


READ_EVERY_SECONDS = 1.0  # a person's client marks what scrolled into view, not every frame


def sent_time(client_msg_id) -> float | None:
    """The send time a load client wrote into its client_msg_id; None for anyone else's message."""
    try:
        return float(client_msg_id.rsplit("-", 1)[1])
    except (AttributeError, IndexError, ValueError):
        return None


class HandshakeFailed(Exception):
    pass


class Client(asyncio.Protocol):
    def __init__(
        self,
        *,
        index: int,
        token: str | None,
        url: str,
        origin: str,
        channels: list[int],
        tag: str,
        body: str,
        recorder: Recorder,
        reads: bool = False,
    ):
        self.index, self.token, self.url, self.origin = index, token, url, origin
        self.channels, self.tag, self.body, self.recorder = channels, tag, body, recorder
        self.reads = reads
        self._read_at: dict[int, float] = {}  # channel -> when the last read frame went
        self.last_acked: tuple[int, str] | None = None  # (channel, id) of this user's latest message: edits
        self.last_received: tuple[int, str] | None = None  # (channel, id) of the latest one it got: reactions
        self.is_open = False
        self.closing = False
        self.sent = 0
        self.transport: asyncio.Transport | None = None
        self.websocket: ClientProtocol | None = None
        self._handshake: asyncio.Future | None = None
        self._subscribed: asyncio.Future | None = None
        self._closed: asyncio.Future | None = None
        self._pending: set[int] = set()
        self._fragments: list[bytes] = []
        self._unparsed = b""

    # --- what the worker calls

    async def open(self) -> bool:
        """Handshake, then subscribe to every channel; False (and the reason recorded) on failure."""
        recorder = self.recorder
        loop = asyncio.get_running_loop()
        self._handshake, self._subscribed, self._closed = (loop.create_future() for _ in range(3))
        for future in (self._handshake, self._subscribed):
            future.add_done_callback(lambda f: f.cancelled() or f.exception())  # always retrieved
        started = time.time()
        try:
            await asyncio.wait_for(self._connect(loop), HANDSHAKE_TIMEOUT_SECONDS)
        except HandshakeFailed as error:
            recorder.connect_failures[str(error)] += 1
            self._abort()
            return False
        except (OSError, TimeoutError) as error:
            recorder.connect_failures[type(error).__name__] += 1
            self._abort()
            return False
        connected = time.time()
        recorder.connect.append(connected - started)
        self.is_open = True
        self._pending = set(self.channels)
        for channel in self.channels:
            self._send_text(json.dumps({"type": "subscribe", "channel": channel}))
        try:
            await asyncio.wait_for(asyncio.shield(self._subscribed), SUBSCRIBE_TIMEOUT_SECONDS)
        except (HandshakeFailed, TimeoutError) as error:
            recorder.connect_failures[f"subscribe: {error or type(error).__name__}"] += 1
            return False
        recorder.subscribe.append(time.time() - connected)
        return True

    def send(self, channel: int) -> None:
        now = time.time()
        self.sent += 1
        self._send_text(
            f'{{"type":"send","channel":{channel},"body":"{self.body}",'
            f'"client_msg_id":"{self.tag}-{self.sent}-{now:.6f}"}}'
        )
        self.recorder.sent_at.append(now)

    def typing(self, channel: int) -> None:
        self._send_text(f'{{"type":"typing","channel":{channel}}}')
        self.recorder.actions["typing"] += 1

    async def close(self) -> None:
        self.closing = True
        if self.websocket is None or self.transport is None or self._closed.done():
            return
        if self.websocket.state is State.OPEN:
            self.websocket.send_close(1000)
            self._flush()
        try:
            await asyncio.wait_for(asyncio.shield(self._closed), CLOSE_TIMEOUT_SECONDS)
        except TimeoutError:
            self._abort()

    # --- the socket

    async def _connect(self, loop) -> None:
        parsed = urlparse(self.url)
        secure = parsed.scheme == "wss"
        port = parsed.port or (443 if secure else 80)
        context = ssl.create_default_context() if secure else None
        await loop.create_connection(lambda: self, parsed.hostname, port, ssl=context)
        await self._handshake

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.websocket = ClientProtocol(parse_uri(self.url), origin=Origin(self.origin), max_size=MAX_FRAME_BYTES)
        request = self.websocket.connect()
        if self.token:
            request.headers["Authorization"] = f"Bearer {self.token}"
        self.websocket.send_request(request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        if self.is_open:
            self._read_frames(data)
            return
        websocket = self.websocket  # the handshake, and whatever frames came with its response
        websocket.receive_data(data)
        for event in websocket.events_received():
            if isinstance(event, Frame):
                self._frame(event)
            elif isinstance(event, Response):
                self._handshake_done(event)
        self._flush()
        if websocket.state is State.CLOSED:
            self.transport.close()

    def _read_frames(self, data: bytes) -> None:
        """Server frames, parsed here: a server never masks, and this is the tool's hottest loop."""
        buffer = self._unparsed + data if self._unparsed else data
        end, position = len(buffer), 0
        while end - position >= 2:
            first, length = buffer[position], buffer[position + 1] & 0x7F
            header = 2
            if length == 126:
                if end - position < 4:
                    break
                length, header = int.from_bytes(buffer[position + 2 : position + 4], "big"), 4
            elif length == 127:
                if end - position < 10:
                    break
                length, header = int.from_bytes(buffer[position + 2 : position + 10], "big"), 10
            if end - position < header + length:
                break
            payload = buffer[position + header : position + header + length]
            position += header + length
            opcode = first & 0x0F
            if opcode == 1 and first & 0x80 and not self._fragments:
                self._message(payload)
            elif opcode in (0, 1):
                self._fragments.append(payload)
                if first & 0x80:
                    data, self._fragments = b"".join(self._fragments), []
                    self._message(data)
            elif opcode == 9:  # ping
                self.websocket.send_pong(payload)
                self._flush()
            elif opcode == 8:  # close: answer it through the protocol, which records the code
                self.websocket.receive_data(buffer[position - header - length : position])
                self.websocket.events_received()
                self._flush()
                self.transport.close()
                return
        self._unparsed = buffer[position:]

    def eof_received(self) -> None:
        self.websocket.receive_eof()
        self._flush()

    def connection_lost(self, exc) -> None:
        was_open = self.is_open
        self.is_open = False
        if self.websocket is not None and self.websocket.state is State.OPEN:
            self.websocket.receive_eof()  # records that no close frame came
        if not self._handshake.done():
            self._handshake.set_exception(HandshakeFailed("connection lost during the handshake"))
        if not self._subscribed.done():
            self._subscribed.set_exception(HandshakeFailed(f"closed {self._close_code()}"))
        if was_open and not self.closing:
            self.recorder.disconnects[self._close_code()] += 1
        if not self._closed.done():
            self._closed.set_result(None)

    def _handshake_done(self, response: Response) -> None:
        if self.websocket.handshake_exc is not None:
            reason = f"HTTP {response.status_code}" if response.status_code != 101 else "bad handshake"
            self._handshake.set_exception(HandshakeFailed(reason))
        else:
            self._handshake.set_result(None)

    def _frame(self, frame: Frame) -> None:
        if frame.opcode is Opcode.TEXT or frame.opcode is Opcode.CONT:
            if not frame.fin or self._fragments:
                self._fragments.append(frame.data)
                if not frame.fin:
                    return
                data, self._fragments = b"".join(self._fragments), []
            else:
                data = frame.data
            self._message(data)

    def _message(self, data: bytes) -> None:
        now = time.time()
        recorder = self.recorder
        message = json.loads(data.decode())
        kind = message.get("type")
        recorder.frames[kind] += 1
        if kind == "message":
            self.last_received = (message["channel"], message["id"])
            key = (self.index, message["channel"])
            seqs = recorder.received.get(key)
            if seqs is None:
                seqs = recorder.received[key] = array("q")
            seqs.append(message["seq"])
            sent = sent_time(message.get("client_msg_id"))
            if sent is not None:
                recorder.delivery.append(now - sent)
                recorder.delivery_at.append(now)
            if self.reads and now - self._read_at.get(message["channel"], 0.0) >= READ_EVERY_SECONDS:
                self._read_at[message["channel"]] = now
                self._send_text(f'{{"type":"read","channel":{message["channel"]},"seq":{message["seq"]}}}')
                recorder.actions["read"] += 1
        elif kind == "ack":
            channel = message["channel"]
            self.last_acked = (channel, message["id"])
            seqs = recorder.acked.get(channel)
            if seqs is None:
                seqs = recorder.acked[channel] = array("q")
            seqs.append(message["seq"])
            sent = sent_time(message["client_msg_id"])
            if sent is not None:
                recorder.ack.append(now - sent)
                recorder.ack_at.append(now)
        elif kind == "subscribed":
            self._subscribe_answered(message["channel"])
        elif kind == "error":
            recorder.errors[message.get("code", "?")] += 1
            if message.get("channel") in self._pending:
                self._subscribe_answered(message["channel"], refused=message.get("code", "error"))
        elif kind == "reconnect":
            recorder.errors["reconnect"] += 1
        elif kind == "resync":
            # The node cannot vouch for what it sent of this channel: resume after the last seq seen.
            recorder.errors["resync"] += 1
            seqs = recorder.received.get((self.index, message["channel"]))
            since_seq = max(seqs) if seqs else 0
            self._send_text(json.dumps({"type": "subscribe", "channel": message["channel"], "since_seq": since_seq}))

    def _subscribe_answered(self, channel: int, refused: str | None = None) -> None:
        self._pending.discard(channel)
        if self._subscribed.done():
            return
        if refused is not None:
            self._subscribed.set_exception(HandshakeFailed(refused))
        elif not self._pending:
            self._subscribed.set_result(None)

    def _send_text(self, text: str) -> None:
        if self.websocket is None or self.websocket.state is not State.OPEN:
            return
        self.websocket.send_text(text.encode())
        self._flush()

    def _flush(self) -> None:
        for chunk in self.websocket.data_to_send():
            if chunk:
                self.transport.write(chunk)
            elif self.transport.can_write_eof():
                self.transport.write_eof()

    def _close_code(self) -> str:
        code = self.websocket.close_code if self.websocket is not None else None
        return str(code) if code is not None else "no close frame"

    def _abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
