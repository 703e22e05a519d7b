"""The /ws/ endpoint: one connection per client carrying every channel (API.md "WebSocket").

The consumer is an entry point: it parses frames, checks membership through selectors
and calls chat.messaging. Outbound frames go through a bounded queue and one writer task,
so a slow client never blocks the room's fan-out.
"""

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from channels_app.selectors import channel_memberships_among
from chat import hub, messaging, metrics
from chat.events import user_group
from chat.ratelimit import TokenBucket
from chat.turn_batch import TurnBatch
from config import drain, frame_writer, lifecycle
from config.frame_writer import text_frame

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024
MAX_BODY_CHARS = 4000
MAX_CLIENT_MSG_ID = 64
OUTBOUND_QUEUE_FRAMES = 10_000
REPLAY_PAGE = 500
RATE_LIMIT_STRIKES_BEFORE_CLOSE = 5
MEMBERSHIP_RECHECK_SECONDS = 60

CLOSE_UNAUTHENTICATED = 4401
CLOSE_RATE_LIMITED = 4429
CLOSE_IDLE = 4408
CLOSE_TOO_SLOW = 4503


@dataclass
class RoomState:
    """Per-channel delivery state of one connection."""

    replaying: bool = True
    last_seq: int = 0
    held: list = field(default_factory=list)


class FrameError(Exception):
    def __init__(self, code: str, detail: str, **extra):
        super().__init__(detail)
        self.code, self.detail, self.extra = code, detail, extra


async def _memberships(pairs: list) -> list[bool]:
    found = await database_sync_to_async(channel_memberships_among)(pairs=pairs)
    return [pair in found for pair in pairs]


# Subscribes and membership re-checks of one event-loop turn share one query: a node's
# clients reconnect together after a drain, and their re-checks fall due together.
_membership_check = TurnBatch(_memberships, one_at_a_time=True)


def _channel_id(frame: dict) -> int:
    channel = frame.get("channel")
    if not isinstance(channel, int) or isinstance(channel, bool) or channel <= 0:
        raise FrameError("bad_request", "`channel` must be a positive integer id.")
    return channel


class ChatConsumer(AsyncWebsocketConsumer):
    write_frame = None  # the server's direct frame writer, when it offers one (config/frame_writer.py)
    writing = False

    async def dispatch(self, message):
        # channels closes stale database connections before every message, which costs a hop to
        # a worker thread per frame (a twentieth of a node's CPU in the profile). This consumer
        # touches the database only through database_sync_to_async, which does the same
        # around each call, so frames that need no query skip the hop.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        if lifecycle.draining.is_set():
            await self.close()  # refused before accept: the balancer sends the client elsewhere
            return
        self.user = self.scope.get("user")
        await self.accept()
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.rooms: dict[int, RoomState] = {}
        self.memberships: dict[int, float] = {}  # channel id -> when membership was last confirmed
        self.outbound: asyncio.Queue[str] = asyncio.Queue(maxsize=OUTBOUND_QUEUE_FRAMES)
        self.write_frame = self.scope.get("extensions", {}).get(frame_writer.EXTENSION)
        self.bucket = TokenBucket(rate=settings.CHAT_SEND_RATE_PER_SECOND, burst=settings.CHAT_SEND_BURST)
        self.strikes = 0
        self.last_activity = time.monotonic()
        self.writer = asyncio.get_running_loop().create_task(self._write_outbound())
        self.watchdog = asyncio.get_running_loop().create_task(self._close_when_idle())
        await self.channel_layer.group_add(user_group(self.user.pk), self.channel_name)
        metrics.connections_open.inc()
        drain.connections.add(self)

    async def disconnect(self, code):
        if not hasattr(self, "rooms"):
            return  # never fully connected
        metrics.connections_open.dec()
        drain.connections.discard(self)
        for channel_id in list(self.rooms):
            await hub.get_hub().unsubscribe(channel_id, self)
        self.rooms.clear()
        self.writer.cancel()
        self.watchdog.cancel()
        await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)

    # --- inbound

    async def receive(self, text_data=None, bytes_data=None):
        self.last_activity = time.monotonic()
        raw = text_data if text_data is not None else bytes_data
        frame = {}
        try:
            if len(raw) > MAX_FRAME_BYTES:
                raise FrameError("too_large", f"A frame may be at most {MAX_FRAME_BYTES} bytes.")
            try:
                frame = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                raise FrameError("bad_request", "Frames must be JSON objects.") from None
            if not isinstance(frame, dict):
                frame = {}
                raise FrameError("bad_request", "Frames must be JSON objects.")
            handler = self.HANDLERS.get(frame.get("type"))
            if handler is None:
                raise FrameError("bad_request", f"Unknown frame type {frame.get('type')!r}.")
            await handler(self, frame)
        except FrameError as error:
            await self._send_error(error, frame)

    async def _send_error(self, error: FrameError, frame: dict) -> None:
        reply = {"type": "error", "code": error.code, "detail": error.detail, **error.extra}
        for key in ("channel", "client_msg_id"):
            if key in frame and key not in reply and isinstance(frame[key], int | str):
                reply[key] = frame[key]
        metrics.client_errors.labels(code=error.code).inc()
        self._enqueue(json.dumps(reply))

    async def _is_member(self, channel_id: int, *, fresh: bool = False) -> bool:
        """Membership, remembered per connection: a send must not cost a database query.

        Leaving a channel forgets it at once (membership_left); anything else that removes a
        member (the admin, a deleted channel) is seen within MEMBERSHIP_RECHECK_SECONDS.
        """
        checked_at = self.memberships.get(channel_id)
        if not fresh and checked_at is not None and time.monotonic() - checked_at < MEMBERSHIP_RECHECK_SECONDS:
            return True
        member = await _membership_check((self.user.pk, channel_id))
        if member:
            self.memberships[channel_id] = time.monotonic()
        else:
            self.memberships.pop(channel_id, None)
        return member

    async def membership_left(self, event):
        """The user left a channel (chat.events.publish_membership_left): sends need a new check."""
        self.memberships.pop(event["channel"], None)

    async def handle_subscribe(self, frame):
        channel_id = _channel_id(frame)
        since_seq = frame.get("since_seq")
        if since_seq is not None and (not isinstance(since_seq, int) or isinstance(since_seq, bool) or since_seq < 0):
            raise FrameError("bad_request", "`since_seq` must be a non-negative integer.")
        if not await self._is_member(channel_id, fresh=True):
            raise FrameError("forbidden", "You are not a member of this channel.")
        if channel_id in self.rooms:
            await hub.get_hub().unsubscribe(channel_id, self)
        state = self.rooms[channel_id] = RoomState()
        await hub.get_hub().subscribe(channel_id, self)  # live frames are held until the replay is out
        last_seq = await messaging.channel_last_seq(channel_id)
        self._enqueue(json.dumps({"type": "subscribed", "channel": channel_id, "last_seq": last_seq}))
        if since_seq is None:
            state.last_seq = last_seq
        else:
            state.last_seq = since_seq
            await self._replay(channel_id, state, until_seq=last_seq)
        state.replaying = False
        for seq, sender_id, text in state.held:
            self._deliver_now(state, seq, sender_id, text)
        state.held.clear()

    async def _replay(self, channel_id: int, state: RoomState, *, until_seq: int) -> None:
        while state.last_seq < until_seq:
            page = await messaging.messages_after(
                channel_id=channel_id, after_seq=state.last_seq, before_seq=until_seq + 1, limit=REPLAY_PAGE
            )
            if not page:
                break
            for message in page:
                self._enqueue(messaging.message_frame(message))
                state.last_seq = message["seq"]

    async def handle_unsubscribe(self, frame):
        channel_id = _channel_id(frame)
        if self.rooms.pop(channel_id, None) is not None:
            await hub.get_hub().unsubscribe(channel_id, self)
        self._enqueue(json.dumps({"type": "unsubscribed", "channel": channel_id}))

    async def handle_send(self, frame):
        channel_id = _channel_id(frame)
        body, client_msg_id = frame.get("body"), frame.get("client_msg_id")
        if not isinstance(client_msg_id, str) or not 1 <= len(client_msg_id) <= MAX_CLIENT_MSG_ID:
            raise FrameError("bad_request", f"`client_msg_id` must be a string of 1 to {MAX_CLIENT_MSG_ID} characters.")
        if not isinstance(body, str) or not 1 <= len(body) <= MAX_BODY_CHARS:
            raise FrameError(
                "too_large" if isinstance(body, str) and body else "bad_request",
                f"`body` must be 1 to {MAX_BODY_CHARS} characters.",
            )
        if not self.bucket.take():
            await self._rate_limited()
            raise FrameError("rate_limited", "You are sending too fast; slow down.")
        if not await self._is_member(channel_id):
            raise FrameError("forbidden", "You are not a member of this channel.")
        message, _ = await messaging.message_send(
            channel_id=channel_id,
            sender_id=self.user.pk,
            sender_username=self.user.username,
            body=body,
            client_msg_id=client_msg_id,
        )
        metrics.messages_in.inc()
        ack = {
            "type": "ack",
            "channel": channel_id,
            "client_msg_id": client_msg_id,
            "id": message["id"],
            "seq": message["seq"],
            "created_at": message["created_at"],
        }
        self._enqueue(json.dumps(ack))

    async def _rate_limited(self) -> None:
        self.strikes += 1
        if self.strikes > RATE_LIMIT_STRIKES_BEFORE_CLOSE:
            await self.close(code=CLOSE_RATE_LIMITED)

    async def handle_typing(self, frame):
        channel_id = _channel_id(frame)
        if channel_id not in self.rooms:
            raise FrameError("forbidden", "Subscribe to the channel first.")
        typing = {"type": "typing", "channel": channel_id, "user": {"id": self.user.pk, "username": self.user.username}}
        await hub.get_hub().publish(channel_id, 0, self.user.pk, json.dumps(typing))

    async def handle_ping(self, frame):
        self._enqueue('{"type":"pong"}')

    HANDLERS = {
        "subscribe": handle_subscribe,
        "unsubscribe": handle_unsubscribe,
        "send": handle_send,
        "typing": handle_typing,
        "ping": handle_ping,
    }

    # --- outbound

    def deliver(self, channel_id: int, seq: int, sender_id: int, text: str, frame: bytes | None = None) -> None:
        """Called by the hub for every frame of a subscribed room (`frame`: text as WebSocket bytes)."""
        state = self.rooms.get(channel_id)
        if state is None:
            return
        if state.replaying:
            state.held.append((seq, sender_id, text))
            return
        self._deliver_now(state, seq, sender_id, text, frame)

    def _deliver_now(self, state: RoomState, seq: int, sender_id: int, text: str, frame: bytes | None = None) -> None:
        if seq == 0:
            if sender_id != self.user.pk:  # typing from oneself is not echoed
                self._enqueue(text, frame)
            return
        if seq <= state.last_seq:
            return  # already sent in the replay
        state.last_seq = seq
        self._enqueue(text, frame)

    def request_reconnect(self, retry_after_ms: int) -> None:
        """The node is draining: the client reconnects (to any node) and resumes with since_seq."""
        self._enqueue(json.dumps({"type": "reconnect", "reason": "server_draining", "retry_after_ms": retry_after_ms}))

    async def client_frame(self, event):
        """User events from the channel layer (transfer_received and friends)."""
        self._enqueue(json.dumps(event["frame"]))

    def _enqueue(self, text: str, frame: bytes | None = None) -> None:
        if self.write_frame is not None and not self.writing and self.outbound.empty():
            # Nothing queued ahead of it: straight to the socket, no task switch (config/frame_writer.py).
            if self.write_frame(frame or text_frame(text)):
                metrics.frames_out.inc()
                return
        try:
            self.outbound.put_nowait(text)
        except asyncio.QueueFull:
            # The client cannot keep up; it resumes with since_seq after reconnecting.
            logger.warning("closing a connection of user %s: outbound queue full", self.user.pk)
            asyncio.get_running_loop().create_task(self.close(code=CLOSE_TOO_SLOW))

    async def _write_outbound(self) -> None:
        while True:
            text = await self.outbound.get()
            self.writing = True  # until it is out, later frames queue behind it
            try:
                await self.send(text_data=text)
            finally:
                self.writing = False
            metrics.frames_out.inc()

    async def _close_when_idle(self) -> None:
        timeout = settings.CHAT_IDLE_TIMEOUT_SECONDS
        while True:
            await asyncio.sleep(timeout / 4)
            if time.monotonic() - self.last_activity > timeout:
                await self.close(code=CLOSE_IDLE)
                return
