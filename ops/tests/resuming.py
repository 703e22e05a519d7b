"""A chat client that follows the drain protocol, as API.md asks every client to.

On {type: "reconnect"} it leaves, waits retry_after_ms, connects again (through the
balancer, so to any node), subscribes with since_seq = the last seq it saw and sends again
every message not yet acknowledged (same client_msg_id, so the server never stores it twice).
"""

import asyncio
import itertools
import json

import websockets

from chat.tests.live import Client

RETRY_SECONDS = 0.2


class ResumingClient:
    def __init__(self, url: str, user, channel_id: int, name: str):
        self.url, self.user, self.channel_id, self.name = url, user, channel_id, name
        self.client: Client | None = None
        self.ready = asyncio.Event()
        self.last_seq = 0
        self.seqs_received: list[int] = []  # every message frame, repeats included
        self.ids_by_seq: dict[int, str] = {}
        self.acks: dict[str, dict] = {}
        self.unacked: dict[str, str] = {}  # client_msg_id -> body
        self.reconnect_frames: list[dict] = []
        self.connections = 0
        self.stopped = False
        self._numbers = itertools.count(1)

    async def run(self) -> None:
        """Connects, then keeps a connection until stop(); every return of the loop is a reconnect."""
        while not self.stopped:
            try:
                self.client = await Client.connect(self.url, self.user)
            except (OSError, websockets.InvalidStatus, websockets.InvalidHandshake):
                await asyncio.sleep(RETRY_SECONDS)  # a node between two states; the balancer retries others
                continue
            self.connections += 1
            delay = await self._serve()
            self.ready.clear()
            await asyncio.sleep(delay)

    async def _serve(self) -> float:
        """Reads frames until the connection ends; returns how long to wait before reconnecting."""
        client = self.client
        try:
            await client.send(type="subscribe", channel=self.channel_id, since_seq=self.last_seq)
            async for raw in client.connection:
                frame = json.loads(raw)
                if frame["type"] == "subscribed":
                    # From here send_next() sends itself; what it queued before goes out now.
                    self.ready.set()
                    for client_msg_id, body in list(self.unacked.items()):
                        await client.send(type="send", channel=self.channel_id, body=body, client_msg_id=client_msg_id)
                elif frame["type"] == "message":
                    self.seqs_received.append(frame["seq"])
                    self.ids_by_seq.setdefault(frame["seq"], frame["id"])
                    self.last_seq = max(self.last_seq, frame["seq"])
                elif frame["type"] == "ack":
                    self.unacked.pop(frame["client_msg_id"], None)
                    self.acks[frame["client_msg_id"]] = frame
                elif frame["type"] == "reconnect":
                    self.reconnect_frames.append(frame)
                    await client.close()
                    return frame["retry_after_ms"] / 1000
        except websockets.ConnectionClosed:
            pass
        return RETRY_SECONDS  # closed without a reconnect frame (say, the node was killed)

    async def send_next(self) -> None:
        """One new message; if the socket is between nodes it goes out after the reconnect."""
        client_msg_id = f"{self.name}-{next(self._numbers)}"
        body = f"{self.name} says {client_msg_id}"
        self.unacked[client_msg_id] = body
        if self.ready.is_set():
            try:
                await self.client.send(type="send", channel=self.channel_id, body=body, client_msg_id=client_msg_id)
            except websockets.ConnectionClosed:
                pass  # resent by _serve on the next connection

    async def stop(self) -> None:
        self.stopped = True
        if self.client is not None:
            await self.client.close()
