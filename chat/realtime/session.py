"""One WebSocket connection's chat state and rules, apart from ASGI (tested without a server).

A session knows its user, the rooms it subscribed to (with the last seq each one got), which
channels the user belongs to, and its rate limits. It answers parsed client frames, receives
room frames and user events from the hub, and sends everything through
its outbox in order.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from django.conf import settings
from redis.exceptions import RedisError

from chat import metrics, services
from chat.realtime import protocol
from chat.realtime.background import spawn
from chat.realtime.hub import Unavailable
from chat.realtime.hubs import get_hub
from chat.realtime.outbox import Outbound, Outbox, SlowClient
from chat.realtime.protocol import FrameError
from chat.realtime.ratelimit import TokenBucket, send_budget_take
from chat.realtime.snapshots import changes_since, snapshot_frames
from chat.realtime.turn_batch import TurnBatch
from chat.selectors import history, memberships_among_async, message_frame

logger = logging.getLogger(__name__)

REPLAY_PAGE = 500
MEMBERSHIP_RECHECK_SECONDS = 60
STRIKES_BEFORE_CLOSE = 5
# A 4429 waits for the frames queued before it (the rate_limited errors among them) while the client
# reads them; it goes out anyway when none has left for this long.
CLOSE_AFTER_FRAMES_STALL_SECONDS = 5.0
REPLAY_SHARE = 0.5  # of the outbound limit: the rest is for live frames
REPLAY_STALL_SECONDS = 30.0
NOT_A_MEMBER = "You are not a member of this channel."


async def _memberships(pairs: list) -> list[bool]:
    found = await memberships_among_async(pairs)
    return [pair in found for pair in pairs]


# Membership checks of one event-loop turn share one query: a node's clients reconnect together
# after a drain, and their subscribes and re-checks fall due together.
_membership_check = TurnBatch(_memberships, one_at_a_time=True)


@dataclass(slots=True)  # one per subscribed room of every socket: no __dict__ each
class RoomState:
    """What one connection got of one room."""

    last_seq: int = 0
    replaying: bool = True
    held: list = field(default_factory=list)  # ("message" or "change", number, frame) that came during the replay
    held_bytes: int = 0
    replay_until: int = 0  # held frames dropped up to here: the replay reads them from history
    versions_from: int = 0  # changes up to this version came with the replay
    catching_up: asyncio.Task | None = None  # a long replay runs beside the connection's other frames


class Session:
    # Every open socket holds one, most of them idle: no __dict__, and what an idle socket never
    # uses (the typing and read budgets, a set of tasks) is made on first use.
    __slots__ = ("user_id", "username", "close", "outbox", "rooms", "memberships", "typings", "subscribes",
                 "reads", "strikes", "last_heard", "tasks")  # fmt: skip

    def __init__(self, *, user, send: Callable[[dict], Awaitable], close: Callable[[int], Awaitable]):
        self.user_id, self.username = user.pk, user.username
        self.close = close
        self.outbox = Outbox(send, limit_bytes=settings.CHAT_OUTBOUND_LIMIT_BYTES, on_overflow=self._too_slow)
        self.rooms: dict[int, RoomState] = {}
        self.memberships: dict[int, float] = {}  # channel id -> when membership was last confirmed
        self.typings: TokenBucket | None = None  # full until first used: made then
        self.subscribes = TokenBucket(rate=settings.CHAT_SUBSCRIBE_RATE_PER_SECOND, burst=settings.CHAT_SUBSCRIBE_BURST)
        self.reads: TokenBucket | None = None
        self.strikes = 0
        self.last_heard = asyncio.get_running_loop().time()  # the last frame from the client (idle.py)
        self.tasks: set[asyncio.Task] | None = None

    # --- client frames

    async def handle(self, frame: protocol.ClientFrame) -> None:
        match frame:
            case protocol.Send():
                await self._send(frame)
            case protocol.Subscribe():
                await self._subscribe(frame)
            case protocol.Unsubscribe():
                await self._unsubscribe(frame)
            case protocol.Typing():
                await self._typing(frame)
            case protocol.Read():
                await self._read(frame)
            case protocol.Ping():
                self.push({"type": "pong"})

    def refuse(self, error: FrameError) -> None:
        metrics.client_errors.labels(code=error.code).inc()
        self.push(error.frame())

    async def _subscribe(self, frame: protocol.Subscribe) -> None:
        channel_id = frame.channel
        self._take(self.subscribes, channel_id)
        if not await self._is_member(channel_id):
            raise FrameError(protocol.FORBIDDEN, NOT_A_MEMBER, channel=channel_id)
        hub = get_hub()
        if self._forget_room(channel_id) is not None:
            await hub.leave(channel_id, self)
        state = self.rooms[channel_id] = RoomState()
        try:
            # Live frames are held until the replay is out.
            last_seq, last_version = await hub.join(channel_id, self)
        except Unavailable:
            self.rooms.pop(channel_id, None)
            raise FrameError(  # noqa: B904 - the client needs no cause
                protocol.UNAVAILABLE, "The channel cannot be served right now; try again.", channel=channel_id
            )
        # Asked again now that the room is heard: a removal committed before this query is seen
        # here, and one committed after it is published to the room, where this session now is
        # (Hub._revoke). Asked only before joining, a removal racing the join went unheard.
        if not await self._is_member(channel_id, fresh=True):
            if self.rooms.get(channel_id) is state:
                del self.rooms[channel_id]
                await hub.leave(channel_id, self)
            raise FrameError(protocol.FORBIDDEN, NOT_A_MEMBER, channel=channel_id)
        if self.rooms.get(channel_id) is not state:
            return  # revoked meanwhile: the client was told
        state.versions_from = last_version
        self.push({"type": "subscribed", "channel": channel_id, "last_seq": last_seq, "last_version": last_version})
        state.last_seq = last_seq if frame.since_seq is None else frame.since_seq
        if frame.since_version is not None or state.last_seq < last_seq:
            # A replay is paced by the client's reading, for minutes on a slow link: meanwhile
            # its pings, sends and an unsubscribe are answered (and keep it from looking idle).
            state.catching_up = spawn(self._running(), self._catch_up(channel_id, state, frame, last_seq, last_version))
        else:
            await self._catch_up(channel_id, state, frame, last_seq, last_version)

    async def _catch_up(
        self, channel_id: int, state: RoomState, frame: protocol.Subscribe, last_seq: int, last_version: int
    ) -> None:
        """The replay the subscribe asked for, the room's snapshots, then the live frames held meanwhile."""
        try:
            if frame.since_seq is not None and frame.since_version is not None:
                await self._replay_changes(channel_id, state, frame, until_version=last_version)
            while state.last_seq < max(last_seq, state.replay_until):
                await self._replay(channel_id, state, until_seq=max(last_seq, state.replay_until))
                if self.rooms.get(channel_id) is not state:
                    return  # unsubscribed (or subscribed again) meanwhile
            snapshots = await snapshot_frames(channel_id)
        except SlowClient:
            return  # the outbox closed the connection
        except Exception:
            if self.rooms.get(channel_id) is not state:
                return  # the room was left meanwhile: nothing to tell
            # The replay could not be read (the store or Redis failing): the client resumes later.
            logger.exception("the replay of channel %s failed; the client is told to resync", channel_id)
            self.resync(channel_id)
            await get_hub().leave(channel_id, self)
            return
        if self.rooms.get(channel_id) is not state:
            return
        # No await from here on: the held frames go out in order, then live ones as they come.
        state.replaying = False
        for held in snapshots:
            self.push(held)
        for kind, number, held in state.held:
            if kind == "change":
                self.outbox.put(held)
            elif number > state.last_seq:
                state.last_seq = number
                self.outbox.put(held)
        state.held.clear()

    async def _replay_changes(
        self, channel_id: int, state: RoomState, frame: protocol.Subscribe, *, until_version: int
    ):
        """What became of the messages the client has (up to since_seq) since its since_version."""
        frames = await changes_since(
            channel_id=channel_id,
            after_version=frame.since_version,
            up_to_seq=frame.since_seq,
            until_version=until_version,
        )
        for text in frames:
            change = Outbound(text)
            await self.outbox.room_for(change.size, share=REPLAY_SHARE, stall_seconds=REPLAY_STALL_SECONDS)
            if self.rooms.get(channel_id) is not state:
                return  # left, removed or subscribed again while the client caught up
            self.outbox.put(change)

    async def _replay(self, channel_id: int, state: RoomState, *, until_seq: int) -> None:
        """The messages after the client's last one up to until_seq, as they are now (edited,
        deleted, reacted to), paced by how fast the client reads."""
        page = await history(
            channel_id=channel_id, after_seq=state.last_seq, before_seq=until_seq + 1, limit=REPLAY_PAGE
        )
        if self.rooms.get(channel_id) is not state:
            return
        for message in page:
            frame = Outbound(message_frame(message))
            await self.outbox.room_for(frame.size, share=REPLAY_SHARE, stall_seconds=REPLAY_STALL_SECONDS)
            if self.rooms.get(channel_id) is not state:
                return  # left, removed or subscribed again while the client caught up
            state.last_seq = message["seq"]
            self.outbox.put(frame)
        if len(page) < REPLAY_PAGE:
            # What history does not have (lost with Redis's data, or refused by the store) will
            # not come: the stream goes on after it.
            state.last_seq = max(state.last_seq, until_seq)

    async def _unsubscribe(self, frame: protocol.Unsubscribe) -> None:
        self._take(self.subscribes, frame.channel)
        if self._forget_room(frame.channel) is not None:
            await get_hub().leave(frame.channel, self)
        self.push({"type": "unsubscribed", "channel": frame.channel})

    async def _send(self, frame: protocol.Send) -> None:
        channel_id, client_msg_id = frame.channel, frame.client_msg_id
        # The person's budget, shared with their other sockets and their REST posts.
        self._spend(await send_budget_take(user_id=self.user_id), channel_id, client_msg_id)
        if not await self._is_member(channel_id):
            raise FrameError(
                protocol.FORBIDDEN,
                "You are not a member of this channel.",
                channel=channel_id,
                client_msg_id=client_msg_id,
            )
        try:
            message, _ = await services.message_send(
                channel_id=channel_id,
                sender_id=self.user_id,
                sender_username=self.username,
                body=frame.body,
                client_msg_id=client_msg_id,
                reply_to=frame.reply_to,
                attachments=frame.attachments,
            )
        except services.MessageInvalid as error:
            code = protocol.TOO_LARGE if error.too_large else protocol.BAD_REQUEST
            raise FrameError(code, error.detail, channel=channel_id, client_msg_id=client_msg_id) from None
        except RedisError:
            logger.exception("a send failed on Redis")
            raise FrameError(
                protocol.UNAVAILABLE,
                "The message was not sent; send it again (same client_msg_id).",
                channel=channel_id,
                client_msg_id=client_msg_id,
            ) from None
        metrics.messages_in.inc()
        self.push(
            {
                "type": "ack",
                "channel": channel_id,
                "client_msg_id": client_msg_id,
                "id": message["id"],
                "seq": message["seq"],
                "created_at": message["created_at"],
            }
        )

    async def _typing(self, frame: protocol.Typing) -> None:
        if self.typings is None:
            self.typings = TokenBucket(rate=settings.CHAT_TYPING_RATE_PER_SECOND, burst=settings.CHAT_TYPING_BURST)
        self._take(self.typings, frame.channel)
        if frame.channel not in self.rooms:
            raise FrameError(protocol.FORBIDDEN, "Subscribe to the channel first.", channel=frame.channel)
        typing = {"type": "typing", "channel": frame.channel, "user": {"id": self.user_id, "username": self.username}}
        await get_hub().publish_ephemeral(frame.channel, self.user_id, protocol.encode(typing))

    async def _read(self, frame: protocol.Read) -> None:
        if self.reads is None:
            self.reads = TokenBucket(rate=settings.CHAT_READ_RATE_PER_SECOND, burst=settings.CHAT_READ_BURST)
        self._take(self.reads, frame.channel)
        if not await self._is_member(frame.channel):
            raise FrameError(protocol.FORBIDDEN, "You are not a member of this channel.", channel=frame.channel)
        await get_hub().receipts.read(user_id=self.user_id, channel_id=frame.channel, seq=frame.seq)

    def _take(self, bucket: TokenBucket, channel_id: int, client_msg_id: str | None = None) -> None:
        """A frame that reaches other users, or subscribe churn, spends a token; a flood is closed."""
        self._spend(bucket.take(), channel_id, client_msg_id)

    def _spend(self, allowed: bool, channel_id: int, client_msg_id: str | None = None) -> None:
        if allowed:
            self.strikes = 0
            return
        self.strikes += 1
        if self.strikes > STRIKES_BEFORE_CLOSE and not self.outbox.sealed:
            spawn(self._running(), self._close_after_queued_frames(protocol.CLOSE_RATE_LIMITED))
        raise FrameError(
            protocol.RATE_LIMITED,
            "You are sending too fast; slow down.",
            channel=channel_id,
            client_msg_id=client_msg_id,
        )

    async def _is_member(self, channel_id: int, *, fresh: bool = False) -> bool:
        """Membership, remembered for a while: a send must not cost a database query.

        A leave or a removal is heard at once (forget_membership, and the hub revokes the
        room on every node); anything else is seen within MEMBERSHIP_RECHECK_SECONDS.
        """
        checked_at = self.memberships.get(channel_id)
        if not fresh and checked_at is not None and time.monotonic() - checked_at < MEMBERSHIP_RECHECK_SECONDS:
            return True
        member = await _membership_check((self.user_id, channel_id))
        if member:
            self.memberships[channel_id] = time.monotonic()
        else:
            self.memberships.pop(channel_id, None)
        return member

    def forget_membership(self, channel_id: int) -> None:
        self.memberships.pop(channel_id, None)

    # --- from the hub (room frames) and from the node

    def deliver(self, channel_id: int, seq: int, frame: Outbound) -> None:
        state = self.rooms.get(channel_id)
        if state is None:
            return
        if seq:
            if state.replaying:
                state.held.append(("message", seq, frame))
                state.held_bytes += frame.size
                if state.held_bytes > self.outbox.limit_bytes * (1 - REPLAY_SHARE):
                    # Too much to hold beside the replay: read these from history instead.
                    state.held.clear()
                    state.held_bytes = 0
                    state.replay_until = seq
                return
            if seq <= state.last_seq:
                return
            state.last_seq = seq
        self.outbox.put(frame)

    def deliver_change(self, channel_id: int, version: int, frame: Outbound) -> None:
        state = self.rooms.get(channel_id)
        if state is None or version <= state.versions_from:
            return
        if state.replaying:
            state.held.append(("change", version, frame))  # changes are few: held whatever their size
            return
        self.outbox.put(frame)

    def deliver_event(self, frame: Outbound) -> None:
        self.outbox.put(frame)

    def revoke(self, channel_id: int) -> None:
        self._forget_room(channel_id)
        self.memberships.pop(channel_id, None)
        self.push({"type": "unsubscribed", "channel": channel_id, "reason": "not_a_member"})

    def resync(self, channel_id: int) -> None:
        self._forget_room(channel_id)
        self.push({"type": "resync", "channel": channel_id})

    def _forget_room(self, channel_id: int) -> RoomState | None:
        """Drops the room's state, and its replay if one is still running."""
        state = self.rooms.pop(channel_id, None)
        if state is not None and state.catching_up is not None and state.catching_up is not asyncio.current_task():
            state.catching_up.cancel()
        return state

    def request_reconnect(self, retry_after_ms: int) -> None:
        """The node is draining: the client reconnects (to any node) and resumes with since_seq."""
        self.push({"type": "reconnect", "reason": "server_draining", "retry_after_ms": retry_after_ms})

    def push(self, frame: dict) -> None:
        self.outbox.put(Outbound(protocol.encode(frame)))
        metrics.frames_out.inc()

    async def _close_after_queued_frames(self, code: int) -> None:
        """A close the client caused goes out after what is queued for it, this frame's error included
        (pushed before this task runs): the client learns why it is closed. Nothing is queued after it."""
        await self.outbox.seal(CLOSE_AFTER_FRAMES_STALL_SECONDS)
        await self.close(code)

    def _too_slow(self) -> None:
        metrics.outbound_closed.inc()
        logger.warning("closing a connection of user %s: it does not read its frames", self.user_id)
        spawn(self._running(), self.close(protocol.CLOSE_TOO_SLOW))

    async def end(self) -> None:
        """The connection is gone: leave every room."""
        self.outbox.close()
        hub = get_hub()
        for channel_id in list(self.rooms):
            self._forget_room(channel_id)
            await hub.leave(channel_id, self)

    def _running(self) -> set[asyncio.Task]:
        """The session's background tasks, the set made on first use (most sessions start none)."""
        if self.tasks is None:
            self.tasks = set()
        return self.tasks
