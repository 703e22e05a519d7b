"""The Redis send path: sends made together each get their own answer; the counter survives losing Redis."""

import asyncio

import pytest
from asgiref.sync import async_to_sync

from accounts.tests.factories import UserFactory
from channels_app.services import channel_create
from chat.persistence import persist_pending_messages
from chat.realtime import keys, sequence
from chat.realtime.message_log import SEED_SCRIPT
from chat.realtime.redis_client import sync_redis
from chat.services import message_send
from conftest import EMBEDDED

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(EMBEDDED, reason="the Redis send script exists only in production mode"),
]


async def _send(channel, client_msg_id: str, body: str = "hi") -> tuple[dict, bool]:
    return await message_send(
        channel_id=channel.pk,
        sender_id=channel.owner_id,
        sender_username="owner",
        body=body,
        client_msg_id=client_msg_id,
    )


def _forget_the_counter(channel) -> None:
    """What a Redis restart without persistence does to a channel whose messages are stored."""
    client = sync_redis()
    client.delete(keys.seq_key(channel.pk), keys.tail_key(channel.pk))


def test_sends_made_together_each_get_their_own_answer():
    busy = channel_create(owner=UserFactory(), name="busy")
    restarted = channel_create(owner=UserFactory(), name="restarted")
    fresh = [channel_create(owner=UserFactory(), name=f"fresh{i}") for i in range(5)]
    first = async_to_sync(_send)(busy, "first")[0]
    for i in range(3):
        async_to_sync(_send)(restarted, f"old{i}")
    persist_pending_messages()
    _forget_the_counter(restarted)

    async def together():
        # One loop turn: new messages, a repeat of an earlier one, a channel that lost its counter,
        # and the first messages of new channels (two in one of them).
        return await asyncio.gather(
            *[_send(busy, f"new{i}", body=f"n{i}") for i in range(20)],
            _send(busy, "first", body="a retry with another body"),
            _send(restarted, "after-restart"),
            *[_send(channel, "hello") for channel in fresh],
            _send(fresh[0], "again"),
        )

    results = async_to_sync(together)()
    new, (repeat, repeat_created), (after_restart, after_restart_created) = results[:20], results[20], results[21]
    firsts, second = results[22:27], results[27]
    assert all(created for _, created in new)
    assert sorted(message["seq"] for message, _ in new) == list(range(2, 22))
    assert [message["body"] for message, _ in sorted(new, key=lambda pair: pair[0]["seq"])] == [
        f"n{i}" for i in range(20)
    ]
    assert (repeat, repeat_created) == (first, False)
    # Above every seq the channel could have handed out before Redis lost its counter (its
    # reservation), not just above the three stored: a seq is never given to two messages.
    assert after_restart_created and after_restart["seq"] == sequence.BLOCK + 1
    assert all(created for _, created in [*firsts, second])
    assert [message["seq"] for message, _ in firsts[1:]] == [1, 1, 1, 1]
    assert sorted([firsts[0][0]["seq"], second[0]["seq"]]) == [1, 2]  # two sends of one turn in a new channel


def test_a_repeat_after_redis_lost_the_counter_is_found_in_the_store():
    channel = channel_create(owner=UserFactory(), name="restarted")
    original = async_to_sync(_send)(channel, "once")[0]
    persist_pending_messages()
    _forget_the_counter(channel)
    sync_redis().delete(keys.dedup_key(channel.pk, channel.owner_id, "once"))
    repeat, created = async_to_sync(_send)(channel, "once")
    assert not created and repeat["id"] == original["id"] and repeat["seq"] == original["seq"]


def test_after_a_failover_the_counter_moves_above_every_reserved_seq():
    """Another server wrote the counter last (a replica promoted): it may be behind seqs the old
    primary published live before it died, so none of them is given again."""
    channel = channel_create(owner=UserFactory(), name="failed over")
    first, _ = async_to_sync(_send)(channel, "before")
    sync_redis().set(keys.writer_key(channel.pk), "the-old-primary:6379")
    after, created = async_to_sync(_send)(channel, "after")
    assert (first["seq"], created, after["seq"]) == (1, True, sequence.BLOCK + 1)
    assert async_to_sync(_send)(channel, "next")[0]["seq"] == sequence.BLOCK + 2  # and it stays there


def test_a_seed_that_comes_after_another_nodes_leaves_the_counter_alone():
    """Two nodes found no counter at once; the second seed comes after the first node's sends
    reserved a block in PostgreSQL: the counter stays where they left it (nothing skipped)."""
    channel = channel_create(owner=UserFactory(), name="seeded twice")
    async_to_sync(_send)(channel, "first")
    seq_keys = [keys.seq_key(channel.pk), keys.tail_key(channel.pk), keys.writer_key(channel.pk)]
    floor = sequence.seq_ceilings(channel_ids=[channel.pk])[channel.pk]
    assert sync_redis().eval(SEED_SCRIPT, 3, *seq_keys, floor, "redis") == 1
    assert async_to_sync(_send)(channel, "second")[0]["seq"] == 2


def test_a_reservation_raises_each_channels_ceiling_above_its_own_floor():
    """A cold start reserves for many channels in one statement; each keeps its own ceiling."""
    channels = [channel_create(owner=UserFactory(), name=f"cold{i}") for i in range(3)]
    ids = [channel.pk for channel in channels]
    first = sequence.seq_reserve(floors={ids[0]: 0, ids[1]: 5})
    assert first == {ids[0]: sequence.BLOCK, ids[1]: 5 + sequence.BLOCK}
    # Below a ceiling already reserved, a floor does not lower it; above it, it lifts it.
    second = sequence.seq_reserve(floors={ids[0]: 3, ids[1]: 10 * sequence.BLOCK, ids[2]: 7})
    assert second == {ids[0]: 2 * sequence.BLOCK, ids[1]: 11 * sequence.BLOCK, ids[2]: 7 + sequence.BLOCK}
    assert sequence.seq_ceilings(channel_ids=ids) == second
