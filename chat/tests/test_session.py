"""A Session without a server: what its client hears when it subscribes with a seq to resume from,
when live frames arrive while the replay is still going, when the replay cannot be read, and when
the member is removed.

The database and Redis are the real ones (membership checks, history); the hub is a fake that
answers join with the room's last seq and version and records leaves, and the client is a fake
send that keeps every frame it gets, in order.
"""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from redis.exceptions import RedisError

from channels_app.models import Membership
from chat import services
from chat.realtime import hubs, protocol
from chat.realtime.outbox import Outbound
from chat.realtime.protocol import FrameError
from chat.realtime.session import STRIKES_BEFORE_CLOSE, Session
from chat.selectors import message_frame

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


class FakePresence:
    async def online_among(self, user_ids):
        return set()


class FakeHub:
    """The part of chat/realtime/hub.py that a Session calls: join (which may hand it live frames
    before it answers, as a busy room does), leave, and presence for the snapshot."""

    def __init__(self, last_seq: int, last_version: int = 0, during_join=None):
        self.last_seq, self.last_version, self.during_join = last_seq, last_version, during_join
        self.presence = FakePresence()
        self.joined: list[int] = []
        self.left: list[int] = []

    async def join(self, channel_id: int, session: Session) -> tuple[int, int]:
        self.joined.append(channel_id)
        if self.during_join is not None:
            await self.during_join(session)
        return self.last_seq, self.last_version

    async def leave(self, channel_id: int, session: Session) -> None:
        self.left.append(channel_id)


class FakeClient:
    """The socket's far end: keeps the frames sent to it, read as soon as sent; `on_frame` (a
    coroutine function) may act as each one arrives."""

    def __init__(self):
        self.frames: list[dict] = []
        self.closed_with: int | None = None
        self.on_frame = None

    async def send(self, message: dict) -> None:
        frame = json.loads(message["text"])
        self.frames.append(frame)
        if self.on_frame is not None:
            await self.on_frame(frame)

    async def close(self, code: int) -> None:
        self.closed_with = code

    async def until(self, predicate, timeout: float = 10) -> None:
        """Until a frame matching predicate has arrived."""
        async with asyncio.timeout(timeout):
            while not any(map(predicate, self.frames)):
                await asyncio.sleep(0.001)

    async def until_type(self, kind: str) -> None:
        await self.until(lambda frame: frame["type"] == kind)

    async def quiet(self) -> None:
        """A while for anything else still on its way to arrive."""
        await asyncio.sleep(0.3)

    def of(self, kind: str) -> list[dict]:
        return [frame for frame in self.frames if frame["type"] == kind]

    def seqs(self) -> list[int]:
        return [frame["seq"] for frame in self.of("message")]


async def _say(session: Session, **frame) -> None:
    """A client frame, handled as the consumer handles it (an error is answered, not raised)."""
    try:
        await session.handle(protocol.parse_frame(json.dumps(frame), None))
    except FrameError as error:
        session.refuse(error)


async def _messages(channel, sender, count: int, body: str = "m") -> list[dict]:
    """`count` messages sent to the channel (seq 1, 2, ...), as the hub would publish them."""
    sent = []
    for number in range(1, count + 1):
        message, _ = await services.message_send(
            channel_id=channel.pk,
            sender_id=sender.pk,
            sender_username=sender.username,
            body=f"{body}{number}",
            client_msg_id=f"c{number}",
        )
        sent.append(message)
    return sent


def _live(message: dict) -> Outbound:
    return Outbound(message_frame(message))


@pytest.fixture
def use_hub(monkeypatch):
    """Makes a FakeHub this process's hub (installed after the messages are sent: the embedded
    mode's send hands its frames to the hub of the process)."""

    def use(hub: FakeHub) -> FakeHub:
        monkeypatch.setattr(hubs, "_hub", hub)
        return hub

    return use


async def test_a_resume_replays_exactly_the_messages_after_since_seq_then_the_snapshots(room, use_hub):
    channel, (alice, bob) = await room("alice", "bob")
    await _messages(channel, alice, 5)
    use_hub(FakeHub(last_seq=5))
    client = FakeClient()
    session = Session(user=bob, send=client.send, close=client.close)

    await _say(session, type="subscribe", channel=channel.pk, since_seq=2)
    await client.until_type("presence")
    await client.quiet()

    assert [frame["type"] for frame in client.frames] == [
        "subscribed",
        "message",
        "message",
        "message",
        "read_receipts",
        "presence",
    ]
    assert client.frames[0] == {"type": "subscribed", "channel": channel.pk, "last_seq": 5, "last_version": 0}
    assert [(frame["seq"], frame["body"]) for frame in client.of("message")] == [(3, "m3"), (4, "m4"), (5, "m5")]

    # Up to date already: nothing is replayed.
    again = FakeClient()
    session = Session(user=bob, send=again.send, close=again.close)
    await _say(session, type="subscribe", channel=channel.pk, since_seq=5)
    await again.until_type("presence")
    await again.quiet()
    assert [frame["type"] for frame in again.frames] == ["subscribed", "read_receipts", "presence"]


async def test_live_frames_that_arrive_during_the_replay_are_held_and_follow_it_once_each(room, use_hub):
    channel, (alice, bob) = await room("alice", "bob")
    sent = await _messages(channel, alice, 7)  # the room is at 5 when joined; 6 and 7 come later

    async def busy_room(session):
        # The room was at seq 5 when joined; 4 and 5 reach the room again, 6 is new, and an edit
        # of message 2 (version 1, after the version the join answers) comes too.
        for message in sent[3:6]:
            session.deliver(channel.pk, message["seq"], _live(message))
        edited = {"type": "message_edited", "channel": channel.pk, "id": sent[1]["id"], "version": 1}
        session.deliver_change(channel.pk, 1, Outbound(protocol.encode(edited)))

    hub = use_hub(FakeHub(last_seq=5, during_join=busy_room))
    client = FakeClient()
    session = Session(user=bob, send=client.send, close=client.close)

    await _say(session, type="subscribe", channel=channel.pk, since_seq=2)
    await client.until_type("message_edited")
    await client.quiet()

    assert [(frame["type"], frame.get("seq")) for frame in client.frames] == [
        ("subscribed", None),
        ("message", 3),
        ("message", 4),
        ("message", 5),
        ("read_receipts", None),
        ("presence", None),
        ("message", 6),
        ("message_edited", None),
    ]
    # Live now: a frame the client has is not sent again; the next one is.
    session.deliver(channel.pk, 6, _live(sent[5]))
    session.deliver(channel.pk, 7, _live(sent[6]))
    await client.until(lambda frame: frame.get("seq") == 7)
    await client.quiet()
    assert client.seqs() == [3, 4, 5, 6, 7]
    assert hub.left == []


async def test_too_much_held_during_a_replay_is_read_from_history_instead_none_lost(room, use_hub, settings):
    settings.CHAT_OUTBOUND_LIMIT_BYTES = 4000  # frames held beside a replay: up to 2000 bytes
    channel, (alice, bob) = await room("alice", "bob")
    sent = await _messages(channel, alice, 12, body="가" * 150 + " ")  # about 600 bytes a frame

    async def busy_room(session):
        for message in sent[4:]:  # seq 5 to 12: more than can be held
            session.deliver(channel.pk, message["seq"], _live(message))

    use_hub(FakeHub(last_seq=4, during_join=busy_room))
    client = FakeClient()
    session = Session(user=bob, send=client.send, close=client.close)

    await _say(session, type="subscribe", channel=channel.pk, since_seq=2)
    await client.until(lambda frame: frame.get("seq") == 12)
    await client.quiet()

    assert client.seqs() == list(range(3, 13))
    assert [frame["body"] for frame in client.of("message")] == [message["body"] for message in sent[2:]]
    assert client.closed_with is None


async def test_a_replay_that_cannot_be_read_tells_the_client_to_resync_and_leaves_the_room(room, use_hub, monkeypatch):
    channel, (alice, bob) = await room("alice", "bob")
    sent = await _messages(channel, alice, 3)
    hub = use_hub(FakeHub(last_seq=3))

    async def history_down(**query):
        raise RedisError("the tail cannot be read")

    monkeypatch.setattr("chat.realtime.session.history", history_down)
    client = FakeClient()
    session = Session(user=bob, send=client.send, close=client.close)

    await _say(session, type="subscribe", channel=channel.pk, since_seq=0)
    await client.until_type("resync")
    await client.quiet()

    assert client.frames == [
        {"type": "subscribed", "channel": channel.pk, "last_seq": 3, "last_version": 0},
        {"type": "resync", "channel": channel.pk},
    ]
    assert hub.left == [channel.pk]
    session.deliver(channel.pk, 3, _live(sent[2]))  # the room's frames no longer reach it
    await client.quiet()
    assert client.of("message") == []


async def test_a_removed_member_is_told_once_and_hears_nothing_more_of_the_room(room, use_hub):
    channel, (alice, bob) = await room("alice", "bob")
    sent = await _messages(channel, alice, 2)
    use_hub(FakeHub(last_seq=1))
    client = FakeClient()
    session = Session(user=bob, send=client.send, close=client.close)
    await _say(session, type="subscribe", channel=channel.pk)
    await client.until_type("presence")

    await sync_to_async(Membership.objects.filter(channel=channel, user=bob).delete)()
    session.revoke(channel.pk)  # what the hub does when the removal is published
    session.deliver(channel.pk, 2, _live(sent[1]))
    await _say(session, type="send", channel=channel.pk, body="still here?", client_msg_id="after")
    await client.until_type("error")
    await client.quiet()

    assert [frame["type"] for frame in client.frames] == [
        "subscribed",
        "read_receipts",
        "presence",
        "unsubscribed",
        "error",
    ]
    assert client.frames[3] == {"type": "unsubscribed", "channel": channel.pk, "reason": "not_a_member"}
    error = client.frames[4]
    assert (error["code"], error["channel"], error["client_msg_id"]) == ("forbidden", channel.pk, "after")


async def test_a_removal_during_the_replay_stops_it(room, use_hub, settings):
    settings.CHAT_OUTBOUND_LIMIT_BYTES = 4000  # the replay goes at the client's pace, a few frames ahead
    channel, (alice, bob) = await room("alice", "bob")
    await _messages(channel, alice, 30, body="가" * 150 + " ")
    use_hub(FakeHub(last_seq=30))
    client = FakeClient()
    session = Session(user=bob, send=client.send, close=client.close)

    async def removed_at_the_fourth_message(frame):
        if frame["type"] == "message" and frame["seq"] == 4:
            await sync_to_async(Membership.objects.filter(channel=channel, user=bob).delete)()
            session.revoke(channel.pk)  # what the hub does when the removal is published

    client.on_frame = removed_at_the_fourth_message
    await _say(session, type="subscribe", channel=channel.pk, since_seq=0)
    await client.until_type("unsubscribed")
    await client.quiet()

    told = client.frames.index({"type": "unsubscribed", "channel": channel.pk, "reason": "not_a_member"})
    assert client.frames[told + 1 :] == []  # nothing of the room after it: no message, no snapshot
    assert [frame["type"] for frame in client.frames[:told]] == ["subscribed"] + ["message"] * (told - 1)
    assert client.seqs() == list(range(1, told))  # in order, none twice
    assert 4 <= len(client.seqs()) < 30  # the replay stopped


async def test_a_removal_racing_the_subscribe_is_refused_and_the_room_left(room, use_hub):
    channel, (alice, bob) = await room("alice", "bob")

    async def removed_meanwhile(session):
        # Committed after the first membership check, before the room was heard.
        await sync_to_async(Membership.objects.filter(channel=channel, user=bob).delete)()

    hub = use_hub(FakeHub(last_seq=0, during_join=removed_meanwhile))
    client = FakeClient()
    session = Session(user=bob, send=client.send, close=client.close)

    await _say(session, type="subscribe", channel=channel.pk)
    typing = {"type": "typing", "channel": channel.pk, "user": {"id": alice.pk, "username": "alice"}}
    session.deliver(channel.pk, 0, Outbound(protocol.encode(typing)))  # the room's frames do not reach it
    await client.quiet()

    assert [(frame["type"], frame.get("code")) for frame in client.frames] == [("error", "forbidden")]
    assert hub.joined == [channel.pk] and hub.left == [channel.pk]


class SlowPhone:
    """A far end whose socket is full (a phone on a slow network): each send waits until it reads
    again. Frames and the close land in one list, in the order they reached it."""

    def __init__(self):
        self.arrived: list[tuple[str, object]] = []
        self.reading = asyncio.Event()

    async def send(self, message: dict) -> None:
        await self.reading.wait()
        frame = json.loads(message["text"])
        self.arrived.append(("frame", frame.get("code") or frame["type"]))

    async def close(self, code: int) -> None:
        self.arrived.append(("close", code))


async def test_a_4429_reaches_a_slow_client_after_the_frames_queued_before_it_its_errors_included(room, settings):
    # On a node over loopback the kernel's buffers take the room's frames as fast as they come, so
    # nothing waits in the outbox for a close to overtake (test_websocket's flood test passes with
    # or without the wait); a phone's full socket is this: the room's frames and the flood's
    # rate_limited errors wait in the outbox, and the close sent beside them reached it first.
    settings.CHAT_TYPING_RATE_PER_SECOND, settings.CHAT_TYPING_BURST = 0.001, 1
    channel, (alice,) = await room("alice")
    phone = SlowPhone()
    session = Session(user=alice, send=phone.send, close=phone.close)
    for number in range(3):  # the busy room's frames, not yet read
        session.deliver_event(Outbound(protocol.encode({"type": "message", "seq": number + 1})))
    for _ in range(10):  # typing as fast as it can: one token, then strikes
        await _say(session, type="typing", channel=channel.pk)
    await asyncio.sleep(0.2)
    assert phone.arrived == []  # nothing read yet: the close waits behind the frames too

    phone.reading.set()
    async with asyncio.timeout(10):
        while ("close", protocol.CLOSE_RATE_LIMITED) not in phone.arrived:
            await asyncio.sleep(0.01)
    frames = [what for kind, what in phone.arrived if kind == "frame"]
    assert frames[:3] == ["message"] * 3 and frames[3] == "forbidden"  # the token's typing: not subscribed
    assert set(frames[4:]) == {"rate_limited"} and len(frames[4:]) > STRIKES_BEFORE_CLOSE
    assert phone.arrived[-1] == ("close", protocol.CLOSE_RATE_LIMITED)
