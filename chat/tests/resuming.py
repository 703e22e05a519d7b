"""A chat client that follows the protocol's recovery rules, as docs/api.md asks every client to.

It keeps one connection to one of several nodes (the next one when its node goes away); on a
`reconnect` frame it leaves and comes back after retry_after_ms; after any reconnect, and on a
`resync` frame, it subscribes with since_seq = the last seq it saw; a send the server could not
take (`unavailable`) or that was never acknowledged goes again with the same client_msg_id, so
the server never stores it twice. It records every message frame it gets, repeats included.
"""

import asyncio
import itertools
import json

import websockets

from chat.tests.live import Client

RETRY_SECONDS = 0.2


class ResumingClient:
    def __init__(self, urls: str | list[str], user, channel_id: int, name: str):
        self.urls = [urls] if isinstance(urls, str) else list(urls)
        self.user, self.channel_id, self.name = user, channel_id, name
        self.client: Client | None = None
        self.ready = asyncio.Event()
        self.last_seq = 0
        self.last_version = 0
        self.seqs_received: list[int] = []  # every message frame, repeats included
        self.ids_by_seq: dict[int, str] = {}
        self.acks: dict[str, dict] = {}
        self.unacked: dict[str, str] = {}  # client_msg_id -> body
        self.reconnect_frames: list[dict] = []
        self.resyncs = 0
        self.refusals: list[dict] = []  # error frames other than `unavailable`
        self.events: list[dict] = []  # every event frame, repeats included
        self.close_codes: list[int | None] = []
        self.connections = 0
        self.stopped = False
        self._numbers = itertools.count(1)
        self._node = itertools.cycle(range(len(self.urls)))
        self.url = self.urls[next(self._node)]

    async def run(self) -> None:
        """Connects, then keeps a connection until stop(); every return of the loop is a reconnect."""
        while not self.stopped:
            try:
                self.client = await Client.connect(self.url, self.user)
            except (OSError, websockets.InvalidStatus, websockets.InvalidHandshake, TimeoutError):
                self.url = self.urls[next(self._node)]  # that node is gone: try the next
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self.connections += 1
            delay = await self._serve()
            self.ready.clear()
            await asyncio.sleep(delay)

    async def _serve(self) -> float:
        """Reads frames until the connection ends; returns how long to wait before reconnecting."""
        client = self.client
        try:
            await self._subscribe()
            async for raw in client.connection:
                frame = json.loads(raw)
                kind = frame["type"]
                if kind == "subscribed":
                    # From here send_next() sends itself; what waited goes out now.
                    self.ready.set()
                    await self._send_unacked()
                elif kind in ("message_edited", "message_deleted", "reactions"):
                    self.last_version = max(self.last_version, frame["version"])
                elif kind == "message":
                    self.seqs_received.append(frame["seq"])
                    self.ids_by_seq.setdefault(frame["seq"], frame["id"])
                    self.last_seq = max(self.last_seq, frame["seq"])
                elif kind == "event":
                    self.events.append(frame)
                elif kind == "ack":
                    self.unacked.pop(frame["client_msg_id"], None)
                    self.acks[frame["client_msg_id"]] = frame
                elif kind == "resync":
                    self.resyncs += 1
                    await self._subscribe()
                elif kind == "error" and frame["code"] == "unavailable":
                    await asyncio.sleep(RETRY_SECONDS)  # Redis is away: the same frame again, later
                    if "client_msg_id" in frame:
                        await self._send(frame["client_msg_id"])
                    else:
                        await self._subscribe()
                elif kind == "error":
                    self.refusals.append(frame)
                elif kind == "reconnect":
                    self.reconnect_frames.append(frame)
                    await client.close()
                    return frame["retry_after_ms"] / 1000
        except websockets.ConnectionClosed:
            pass
        self.close_codes.append(client.connection.close_code)
        if client.connection.close_code is None or client.connection.close_code == 1006:
            self.url = self.urls[next(self._node)]  # the node died under it: another one
        return RETRY_SECONDS

    async def _subscribe(self) -> None:
        await self.client.send(
            type="subscribe", channel=self.channel_id, since_seq=self.last_seq, since_version=self.last_version
        )

    async def _send(self, client_msg_id: str) -> None:
        body = self.unacked.get(client_msg_id)
        if body is not None:
            await self.client.send(type="send", channel=self.channel_id, body=body, client_msg_id=client_msg_id)

    async def _send_unacked(self) -> None:
        for client_msg_id in list(self.unacked):
            await self._send(client_msg_id)

    async def send_next(self) -> None:
        """One new message; if the socket is between nodes it goes out after the reconnect."""
        client_msg_id = f"{self.name}-{next(self._numbers)}"
        self.unacked[client_msg_id] = f"{self.name} says {client_msg_id}"
        if self.ready.is_set():
            try:
                await self._send(client_msg_id)
            except websockets.ConnectionClosed:
                pass  # sent again on the next connection

    async def resend_unacked(self) -> None:
        """Sends what is still unacknowledged again (an ack lost with its node comes back this way)."""
        if self.ready.is_set():
            try:
                await self._send_unacked()
            except websockets.ConnectionClosed:
                pass

    async def stop(self) -> None:
        self.stopped = True
        if self.client is not None:
            await self.client.close()
