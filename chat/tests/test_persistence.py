"""The Redis buffer drains into the store at least once, and history never shows a gap."""

import json

import pytest
from asgiref.sync import async_to_sync

from accounts.tests.factories import UserFactory
from channels_app.services import channel_create
from chat.persistence import persist_pending_messages
from chat.realtime import keys
from chat.realtime.redis_client import sync_redis
from chat.selectors import messages_after
from chat.services import message_send
from chat.stores import get_message_store
from conftest import EMBEDDED

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(EMBEDDED, reason="the Redis buffer exists only in production mode"),
]


def _send(channel, n):
    return [
        async_to_sync(message_send)(
            channel_id=channel.pk, sender_id=channel.owner_id, sender_username="o", body=f"m{i}", client_msg_id=f"c{i}"
        )[0]
        for i in range(1, n + 1)
    ]


def test_buffered_messages_reach_the_store_and_leave_the_tail():
    channel = channel_create(owner=UserFactory(), name="club")
    _send(channel, 30)
    assert get_message_store().max_seq(channel_id=channel.pk) == 0
    assert persist_pending_messages(batch_size=7) == 30
    assert [m["seq"] for m in get_message_store().range(channel_id=channel.pk, limit=100)] == list(range(1, 31))
    assert sync_redis().zcard(keys.tail_key(channel.pk)) == 0
    assert persist_pending_messages() == 0


def test_a_batch_left_pending_by_a_dead_worker_is_reclaimed(settings):
    channel = channel_create(owner=UserFactory(), name="club")
    _send(channel, 5)
    client = sync_redis()
    stream = keys.channel_persist_stream(channel.pk)
    client.xgroup_create(stream, keys.PERSIST_GROUP, id="0", mkstream=True)
    # A worker reads the batch and dies before writing it: the entries stay pending.
    client.xreadgroup(keys.PERSIST_GROUP, "dead-worker", {stream: ">"}, count=100)
    settings.CHAT_PERSIST_RECLAIM_IDLE_MS = 0
    assert persist_pending_messages() == 5
    assert get_message_store().max_seq(channel_id=channel.pk) == 5


def test_history_joins_store_and_tail_without_gap():
    channel = channel_create(owner=UserFactory(), name="club")
    _send(channel, 10)
    persist_pending_messages()
    _send_more = [
        async_to_sync(message_send)(
            channel_id=channel.pk,
            sender_id=channel.owner_id,
            sender_username="o",
            body="late",
            client_msg_id=f"late{i}",
        )
        for i in range(5)
    ]
    assert len(_send_more) == 5
    seqs = [m["seq"] for m in async_to_sync(messages_after)(channel_id=channel.pk, after_seq=0, limit=100)]
    assert seqs == list(range(1, 16))
    raw_tail = sync_redis().zrange(keys.tail_key(channel.pk), 0, -1)
    assert [json.loads(item)["seq"] for item in raw_tail] == list(range(11, 16))
