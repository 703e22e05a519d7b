"""A room delivers its messages in seq order with no gap, whatever order pub/sub brings them in.

The hub here is the embedded mode's (in-process, no Redis) with a history of plain messages:
what it is checked for is the room's own logic, the same that runs on every production node.
"""

import asyncio

import pytest
from prometheus_client import REGISTRY

from chat.realtime import hub as hubs
from chat.realtime import payloads
from chat.realtime.broker import MemoryBroker
from chat.realtime.hub import Hub
from chat.realtime.payloads import change_payload, message_payload
from chat.selectors import message_frame

pytestmark = pytest.mark.asyncio


def _message(seq: int) -> dict:
    return {"id": f"m{seq}", "channel": 7, "seq": seq, "sender": {"id": 1, "username": "a"}, "body": f"b{seq}",
            "client_msg_id": f"c{seq}", "created_at": "2026-12-02T00:00:00+00:00"}  # fmt: skip


class Member:
    def __init__(self, user_id: int):
        self.user_id = user_id
        self.seqs: list[int] = []
        self.versions: list[int] = []
        self.revoked: list[int] = []
        self.resyncs: list[int] = []
        self.events: list[str] = []  # frames that are not messages: of the room (seq 0) or the user's feed

    def deliver(self, channel_id, seq, frame):
        self.seqs.append(seq)
        if not seq:
            self.events.append(frame.message["text"])

    def deliver_change(self, channel_id, version, frame):
        self.versions.append(version)

    def deliver_event(self, frame):
        self.events.append(frame.message["text"])

    def revoke(self, channel_id):
        self.revoked.append(channel_id)

    def resync(self, channel_id):
        self.resyncs.append(channel_id)

    def forget_membership(self, channel_id):
        pass


def _hub(
    history: dict[int, dict],
    last_seq: int = 0,
    changes: dict[int, list[str]] | None = None,
    kept: dict[int, str] | None = None,
    last_kept: int = 0,
) -> Hub:
    async def read_messages(channel_id, after, up_to, limit):
        await asyncio.sleep(0.01)  # a round trip: pub/sub keeps talking meanwhile
        return [(seq, [message_frame(history[seq])]) for seq in sorted(history) if after < seq <= up_to][:limit]

    async def read_changes(channel_id, after, up_to, limit):
        await asyncio.sleep(0.01)
        return [(version, frames) for version, frames in sorted((changes or {}).items()) if after < version <= up_to]

    async def read_kept(owner_id, after, up_to, limit):  # a channel's or a user's kept events
        await asyncio.sleep(0.01)
        return [(position, [frame]) for position, frame in sorted((kept or {}).items()) if after < position <= up_to]

    def tops(value):
        async def read(channel_ids):
            return dict.fromkeys(channel_ids, value)

        return read

    async def members(pairs):
        return set(pairs)

    return Hub(
        broker=MemoryBroker(),
        messages=read_messages,
        changes=read_changes,
        channel_events=read_kept,
        user_events=read_kept,
        last_seqs=tops(last_seq),
        last_versions=tops(0),
        last_channel_events=tops(last_kept),
        last_user_events=tops(last_kept),
        members=members,
    )


def _publish(hub: Hub, seq: int) -> None:
    hub.on_payload(7, message_payload(seq, message_frame(_message(seq))))


async def test_a_message_ahead_of_a_gap_waits_until_the_gap_is_filled_from_history():
    history = {seq: _message(seq) for seq in range(1, 7)}
    hub = _hub(history)
    member = Member(1)
    assert await hub.join(7, member) == (0, 0)
    for seq in (1, 4, 2, 5, 3, 6):  # 2 and 3 come late: the fill from history gets them first
        _publish(hub, seq)
    await asyncio.sleep(0.1)
    assert member.seqs == [1, 2, 3, 4, 5, 6]


async def test_a_seq_history_does_not_have_is_skipped_and_counted():
    history = {seq: _message(seq) for seq in (1, 2, 4)}  # 3 was lost with Redis's data
    hub = _hub(history)
    member = Member(1)
    await hub.join(7, member)
    skipped_before = REGISTRY.get_sample_value("chat_seqs_skipped_total")
    for seq in (1, 2, 4):
        _publish(hub, seq)
    await asyncio.sleep(0.1)
    assert member.seqs == [1, 2, 4]
    assert REGISTRY.get_sample_value("chat_seqs_skipped_total") - skipped_before == 1


async def test_a_late_joiner_gets_what_follows_the_seq_it_is_told():
    hub = _hub({seq: _message(seq) for seq in range(1, 5)}, last_seq=2)
    first, late = Member(1), Member(2)
    assert await hub.join(7, first) == (2, 0)
    _publish(hub, 3)
    assert await hub.join(7, late) == (3, 0)
    _publish(hub, 4)
    assert (first.seqs, late.seqs) == ([3, 4], [4])


async def test_a_member_who_left_is_dropped_from_the_room_and_only_they_are():
    hub = _hub({})
    stays, leaves = Member(1), Member(2)
    await hub.join(7, stays)
    await hub.join(7, leaves)
    hub.on_payload(7, payloads.left_payload(2))
    hub.on_payload(7, payloads.ephemeral_payload(0, '{"type":"event"}'))
    assert leaves.revoked == [7] and (stays.seqs, leaves.seqs) == ([0], [])


async def test_a_room_that_cannot_vouch_for_its_stream_tells_its_members_to_resync(monkeypatch):
    monkeypatch.setattr(hubs, "MAX_PENDING", 3)
    hub = _hub({})  # history has nothing: the gap can never be filled in time
    member = Member(1)
    await hub.join(7, member)
    for seq in range(10, 15):
        _publish(hub, seq)
    assert member.resyncs == [7] and 7 not in hub.rooms


async def test_changes_to_messages_come_in_version_order_and_a_replaced_one_is_skipped():
    # Version 2 was an edit a later change (version 4) to the same message replaced: its state
    # carries both, so the fill finds versions 1, 3 and 4 and delivers them in order.
    stored = {1: ['{"type":"message_edited"}'], 3: ['{"type":"reactions"}'], 4: ['{"type":"message_deleted"}']}
    hub = _hub({}, changes=stored)
    member = Member(1)
    assert await hub.join(7, member) == (0, 0)
    hub.on_payload(7, change_payload(4, "[" + stored[4][0] + "]"))
    await asyncio.sleep(0.1)
    assert member.versions == [1, 3, 4]


def _kept(position: int) -> str:
    return f'{{"type":"event","event":"member_joined","outbox_id":{position}}}'


async def test_kept_channel_events_pub_sub_lost_are_filled_in_order_and_a_repeat_is_dropped():
    # Positions 2 and 3 went out while this node's subscription was broken; 1 and 4 come twice
    # (the relay published them again after a crash).
    kept = {position: _kept(position) for position in range(1, 5)}
    hub = _hub({}, kept=kept)
    member = Member(1)
    await hub.join(7, member)
    for position in (1, 4, 1, 4):
        hub.on_payload(7, payloads.kept_payload(position, kept[position]))
    await asyncio.sleep(0.1)
    assert member.events == [kept[position] for position in range(1, 5)]


async def test_a_users_feed_fills_what_it_missed_and_delivers_each_event_once():
    kept = {position: _kept(position) for position in range(1, 6)}
    hub = _hub({}, kept=kept, last_kept=2)  # 1 and 2 came before the connection did
    connection = Member(1)
    hub.attach(connection)
    await asyncio.sleep(0.05)
    for position in (5, 3, 5):
        hub.on_user_payload(1, payloads.kept_payload(position, kept[position]))
    await asyncio.sleep(0.1)
    assert connection.events == [kept[position] for position in (3, 4, 5)]
