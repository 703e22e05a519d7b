"""One simulated user: a WebSocket to /ws/, its subscriptions, its sends and what it receives.

Frames follow API.md "WebSocket". Each send carries its wall-clock send time in its
client_msg_id ("<tag>-<n>-<time>"), so whoever receives the message or its ack knows its age
without asking the sender.
"""

import asyncio
import json
import time
from array import array

import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from loadtest.stats import Recorder

SUBSCRIBE_TIMEOUT_SECONDS = 60
HANDSHAKE_TIMEOUT_SECONDS = 60


def sent_time(client_msg_id: str) -> float | None:
    """The send time a load client wrote into its client_msg_id; None for anyone else's message."""
    try:
        return float(client_msg_id.rsplit("-", 1)[1])
    except (AttributeError, IndexError, ValueError):
        return None


class Client:
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
    ):
        self.index, self.token, self.url, self.origin = index, token, url, origin
        self.channels, self.tag, self.body, self.recorder = channels, tag, body, recorder
        self.connection = None
        self.is_open = False
        self.closing = False
        self.sent = 0
        self._pending: set[int] = set()
        self._subscribed: asyncio.Future | None = None
        self._reader: asyncio.Task | None = None

    async def open(self) -> bool:
        """Handshake, then subscribe to every channel; False (and the reason recorded) on failure."""
        recorder = self.recorder
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        started = time.time()
        try:
            self.connection = await websockets.connect(
                self.url,
                additional_headers=headers,
                origin=self.origin,
                compression=None,  # the browser UI's frames are small; deflate would cost both sides CPU
                proxy=None,
                ping_interval=None,  # the server pings; 10,000 client pings would only add noise
                open_timeout=HANDSHAKE_TIMEOUT_SECONDS,
                max_size=2**22,
                max_queue=None,
                user_agent_header=None,
            )
        except InvalidStatus as error:
            recorder.connect_failures[f"HTTP {error.response.status_code}"] += 1
            return False
        except (OSError, TimeoutError, websockets.InvalidHandshake) as error:
            recorder.connect_failures[type(error).__name__] += 1
            return False
        connected = time.time()
        recorder.connect.append(connected - started)
        self.is_open = True
        self._pending = set(self.channels)
        self._subscribed = asyncio.get_running_loop().create_future()
        self._subscribed.add_done_callback(lambda future: future.cancelled() or future.exception())  # always retrieved
        self._reader = asyncio.get_running_loop().create_task(self._read())
        try:
            for channel in self.channels:
                await self.connection.send(json.dumps({"type": "subscribe", "channel": channel}))
            await asyncio.wait_for(asyncio.shield(self._subscribed), SUBSCRIBE_TIMEOUT_SECONDS)
        except (ConnectionClosed, TimeoutError) as error:
            recorder.connect_failures[f"subscribe: {error.__class__.__name__}"] += 1
            return False
        except SubscribeRefused as error:
            recorder.connect_failures[f"subscribe: {error}"] += 1
            return False
        recorder.subscribe.append(time.time() - connected)
        return True

    async def send(self, channel: int) -> None:
        now = time.time()
        self.sent += 1
        frame = (
            f'{{"type":"send","channel":{channel},"body":"{self.body}",'
            f'"client_msg_id":"{self.tag}-{self.sent}-{now:.6f}"}}'
        )
        await self.connection.send(frame)
        self.recorder.sent_at.append(now)

    async def close(self) -> None:
        self.closing = True
        if self.connection is not None:
            await self.connection.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _read(self) -> None:
        recorder, index = self.recorder, self.index
        received, acked = recorder.received, recorder.acked
        try:
            async for raw in self.connection:
                now = time.time()
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "message":
                    key = (index, frame["channel"])
                    seqs = received.get(key)
                    if seqs is None:
                        seqs = received[key] = array("q")
                    seqs.append(frame["seq"])
                    sent = sent_time(frame.get("client_msg_id"))
                    if sent is not None:
                        recorder.delivery.append(now - sent)
                        recorder.delivery_at.append(now)
                elif kind == "ack":
                    channel = frame["channel"]
                    seqs = acked.get(channel)
                    if seqs is None:
                        seqs = acked[channel] = array("q")
                    seqs.append(frame["seq"])
                    sent = sent_time(frame["client_msg_id"])
                    if sent is not None:
                        recorder.ack.append(now - sent)
                        recorder.ack_at.append(now)
                elif kind == "subscribed":
                    self._subscribe_answered(frame["channel"])
                elif kind == "error":
                    recorder.errors[frame.get("code", "?")] += 1
                    if frame.get("channel") in self._pending:
                        self._subscribe_answered(frame["channel"], refused=frame.get("code", "error"))
                elif kind == "reconnect":
                    recorder.errors["reconnect"] += 1
        except ConnectionClosed:
            pass
        self.is_open = False
        if not self.closing:
            code = self.connection.close_code
            self.recorder.disconnects[str(code) if code is not None else "no close frame"] += 1
        if self._subscribed is not None and not self._subscribed.done():
            self._subscribed.set_exception(ConnectionClosed(self.connection.close_rcvd, self.connection.close_sent))

    def _subscribe_answered(self, channel: int, refused: str | None = None) -> None:
        self._pending.discard(channel)
        if self._subscribed.done():
            return
        if refused is not None:
            self._subscribed.set_exception(SubscribeRefused(refused))
        elif not self._pending:
            self._subscribed.set_result(None)


class SubscribeRefused(Exception):
    pass
