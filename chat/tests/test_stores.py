"""One contract for both message stores: SQL (real PostgreSQL) and MongoDB.

MongoDB runs against a real server when MONGO_URL is set, otherwise against mongomock.
"""

import os
import uuid

import mongomock
import pymongo
import pytest

from accounts.tests.factories import UserFactory
from channels_app.services import channel_create
from chat.management.commands.shard_message_store import message_store_indexes, message_store_shard
from chat.stores.mongo import MongoMessageStore
from chat.stores.sql import SqlMessageStore


def _mongo_database():
    if os.environ.get("MONGO_URL"):
        return pymongo.MongoClient(os.environ["MONGO_URL"], tz_aware=True)[f"test_{uuid.uuid4().hex[:8]}"]
    return mongomock.MongoClient(tz_aware=True)["test"]


@pytest.fixture(params=["sql", "mongo", "mongo-sharded"])
def store(request, db):
    """The sharded MongoDB store has the indexes a collection sharded by (channel, seq) can keep."""
    if request.param == "sql":
        yield SqlMessageStore()
        return
    database = _mongo_database()
    yield MongoMessageStore(database, sharded=request.param == "mongo-sharded")
    database.client.drop_database(database.name)


def test_the_shard_command_creates_the_indexes_a_sharded_collection_needs():
    database = _mongo_database()
    try:
        message_store_indexes(database)
        indexes = {
            tuple(key for key, _ in index["key"]): index for index in database["messages"].index_information().values()
        }
        assert indexes[("channel", "seq")].get("unique") is True  # the shard key's index
        assert not indexes[("channel", "sender.id", "client_msg_id")].get("unique")  # not unique without the shard key
    finally:
        database.client.drop_database(database.name)


@pytest.mark.skipif(not os.environ.get("MONGO_URL"), reason="sharding needs a real mongos (MONGO_URL)")
def test_the_shard_command_shards_the_collection_behind_mongos():
    database = _mongo_database()
    try:
        done = message_store_shard(client=database.client, database_name=database.name)
        if done[-1].startswith("not a mongos"):
            pytest.skip("MONGO_URL is not a mongos")
        found = database.client.config.collections.find_one({"_id": f"{database.name}.messages"})
        assert found["key"] == {"channel": 1, "seq": 1}
    finally:
        database.client.drop_database(database.name)


@pytest.fixture
def channel(db):
    return channel_create(owner=UserFactory(), name="general")


def _message(channel, seq, client_msg_id=None, body=None, sender=None):
    sender = sender or channel.owner
    return {
        "id": f"m{channel.pk}x{seq}",
        "channel": channel.pk,
        "seq": seq,
        "sender": {"id": sender.pk, "username": sender.username},
        "body": f"hello {seq}" if body is None else body,
        "client_msg_id": client_msg_id or f"c{seq}",
        "created_at": "2026-11-23T06:00:00+00:00",
        "mentions": [channel.owner_id] if seq == 2 else [],
        "reply_to": f"m{channel.pk}x1" if seq == 2 else None,
    }


def test_inserted_messages_come_back_in_seq_order(store, channel):
    store.insert_many([_message(channel, 3), _message(channel, 1), _message(channel, 2)])
    assert [m["seq"] for m in store.range(channel_id=channel.pk, limit=10)] == [1, 2, 3]
    assert store.range(channel_id=channel.pk, limit=10)[0] == _message(channel, 1)


def test_insert_is_idempotent_on_message_id(store, channel):
    store.insert_many([_message(channel, 1), _message(channel, 2)])
    store.insert_many([_message(channel, 2), _message(channel, 3)])
    assert [m["seq"] for m in store.range(channel_id=channel.pk, limit=10)] == [1, 2, 3]


def test_range_bounds_and_newest_page(store, channel):
    store.insert_many([_message(channel, seq) for seq in range(1, 11)])
    assert [m["seq"] for m in store.range(channel_id=channel.pk, after_seq=3, before_seq=7, limit=10)] == [4, 5, 6]
    assert [m["seq"] for m in store.range(channel_id=channel.pk, limit=3, newest=True)] == [8, 9, 10]
    assert [m["seq"] for m in store.range(channel_id=channel.pk, before_seq=5, limit=2, newest=True)] == [3, 4]


def test_max_seq_and_lookup_by_client_msg_id(store, channel):
    assert store.max_seq(channel_id=channel.pk) == 0
    store.insert_many([_message(channel, 1, "abc"), _message(channel, 2, "def")])
    assert store.max_seq(channel_id=channel.pk) == 2
    owner = channel.owner_id
    assert store.find_by_client_msg_id(channel_id=channel.pk, sender_id=owner, client_msg_id="def")["seq"] == 2
    assert store.find_by_client_msg_id(channel_id=channel.pk, sender_id=owner, client_msg_id="zzz") is None


def test_two_senders_may_use_the_same_client_msg_id(store, channel):
    other = UserFactory()
    refused = store.insert_many([_message(channel, 1, "c-1"), _message(channel, 2, "c-1", sender=other)])
    assert refused == []
    assert [m["sender"]["id"] for m in store.range(channel_id=channel.pk, limit=10)] == [channel.owner_id, other.pk]
    found = store.find_by_client_msg_id(channel_id=channel.pk, sender_id=other.pk, client_msg_id="c-1")
    assert found["seq"] == 2


def test_a_collection_indexed_before_dedup_was_per_sender_takes_both_senders():
    """A MongoDB store created by an older release had (channel, client_msg_id) unique."""
    database = _mongo_database()
    try:
        database["messages"].create_index([("channel", 1), ("client_msg_id", 1)], unique=True)
        store = MongoMessageStore(database)
        both = [
            {**_message_of(1, sender_id=1), "client_msg_id": "c-1"},
            {**_message_of(2, sender_id=2), "client_msg_id": "c-1"},
        ]
        assert store.insert_many(both) == []
        assert [m["seq"] for m in store.range(channel_id=5, limit=10)] == [1, 2]
    finally:
        database.client.drop_database(database.name)


def _message_of(seq, *, sender_id):
    return {
        "id": f"old{seq}",
        "channel": 5,
        "seq": seq,
        "sender": {"id": sender_id, "username": f"user{sender_id}"},
        "body": "hi",
        "client_msg_id": f"c{seq}",
        "created_at": "2026-11-23T06:00:00+00:00",
        "mentions": [],
        "reply_to": None,
    }


def test_a_message_is_found_by_its_id_in_its_channel_only(store, channel):
    other = channel_create(owner=UserFactory(), name="other")
    store.insert_many([_message(channel, 1), _message(channel, 2)])
    assert store.find(channel_id=channel.pk, message_id=f"m{channel.pk}x2") == _message(channel, 2)
    assert store.find(channel_id=other.pk, message_id=f"m{channel.pk}x2") is None
    assert store.find(channel_id=channel.pk, message_id="nothing") is None


def test_max_seqs_of_several_channels_at_once(store, channel):
    other = channel_create(owner=UserFactory(), name="other")
    empty = channel_create(owner=UserFactory(), name="empty")
    store.insert_many([_message(channel, seq) for seq in (1, 2, 3)] + [_message(other, 1)])
    assert store.max_seqs([channel.pk, other.pk, empty.pk]) == {channel.pk: 3, other.pk: 1, empty.pk: 0}
    assert store.max_seqs([]) == {}


def _store_bodies(store, channel, bodies):
    store.insert_many([_message(channel, seq, body=body) for seq, body in enumerate(bodies, start=1)])


def _found(store, channel, words, **page):
    return [m["seq"] for m in store.search(channel_id=channel.pk, words=words, limit=page.pop("limit", 10), **page)]


def test_search_finds_every_word_in_any_order_newest_first(store, channel):
    _store_bodies(
        store,
        channel,
        [
            "trip budget for Jeju",  # 1
            "the budget of the trip is done",  # 2
            "trip photos",  # 3
            "Budget TRIP, final",  # 4
        ],
    )
    assert _found(store, channel, ["trip", "budget"]) == [4, 2, 1]
    assert _found(store, channel, ["budget", "trip"]) == [4, 2, 1]
    assert store.search(channel_id=channel.pk, words=["photos"], limit=10) == [_message(channel, 3, body="trip photos")]
    assert _found(store, channel, ["trip", "budget", "photos"]) == []


def test_search_matches_the_start_of_a_word_so_particles_and_plurals_still_match(store, channel):
    _store_bodies(store, channel, ["이번 달 회비를 냈어요", "Our PLANS for the weekend", "회의 시간"])
    assert _found(store, channel, ["회비"]) == [1]
    assert _found(store, channel, ["회비를"]) == [1]
    assert _found(store, channel, ["plan"]) == [2]
    assert _found(store, channel, ["회", "냈"]) == [1]
    assert _found(store, channel, ["회비", "weekend"]) == []


def test_search_pages_back_from_before_seq(store, channel):
    _store_bodies(store, channel, [f"dues reminder {n}" if n % 2 else f"other {n}" for n in range(1, 12)])
    assert _found(store, channel, ["dues"], limit=3) == [11, 9, 7]
    assert _found(store, channel, ["dues"], limit=3, before_seq=7) == [5, 3, 1]
    assert _found(store, channel, ["dues"], limit=3, before_seq=1) == []


def test_search_stays_in_its_channel(store, channel):
    other = channel_create(owner=UserFactory(), name="other")
    store.insert_many([_message(channel, 1, body="coffee fund"), _message(other, 1, body="coffee fund")])
    assert [(m["channel"], m["seq"]) for m in store.search(channel_id=other.pk, words=["coffee"], limit=10)] == [
        (other.pk, 1)
    ]


def test_search_words_are_text_never_query_syntax(store, channel):
    # Quotes, backslashes and the operators of tsquery, FTS5 and regular expressions, inside words
    # (chat.selectors.search_words trims punctuation only around a word).
    _store_bodies(store, channel, ["don't panic: a|b & x\\y say\"hi h.*i", "a fast b", "dont panic"])
    words = ["don't", 'say"hi', "a|b", "x\\y", "h.*i", "c:d", "body:c", "a)(b", "x*y", "a&!b", "or", "not", "near"]
    for word in words:
        store.search(channel_id=channel.pk, words=[word], limit=10)  # never a syntax error
    assert _found(store, channel, ["don't", "panic"]) == [1]
    assert _found(store, channel, ["a|b", "x\\y", "h.*i", 'say"hi']) == [1]
    assert 2 not in _found(store, channel, ["a.*b"])
    assert _found(store, channel, ["or"]) == []


def test_redact_forgets_the_body_and_keeps_the_message_in_its_place(store, channel):
    secret = _message(channel, 2, body="my card number is 9410 8812")
    store.insert_many([_message(channel, 1), secret, _message(channel, 3)])
    store.redact(channel_id=channel.pk + 1, message_ids=[secret["id"]])  # another channel: nothing happens
    assert store.find(channel_id=channel.pk, message_id=secret["id"]) == secret

    store.redact(channel_id=channel.pk, message_ids=[secret["id"]])
    store.redact(channel_id=channel.pk, message_ids=[secret["id"]])  # a retry changes nothing more
    first, second, third = store.range(channel_id=channel.pk, limit=10)
    assert (first, third) == (_message(channel, 1), _message(channel, 3))
    assert second == {**secret, "body": "", "mentions": []}
    assert store.search(channel_id=channel.pk, words=["card"], limit=10) == []


def test_latest_gives_each_channels_newest_message_in_one_call(store, channel):
    other = channel_create(owner=channel.owner, name="books")
    quiet = channel_create(owner=channel.owner, name="quiet")
    store.insert_many([_message(channel, 2), _message(channel, 3), _message(other, 1), _message(channel, 1)])
    latest = store.latest([channel.pk, other.pk, quiet.pk])
    assert latest == {channel.pk: _message(channel, 3), other.pk: _message(other, 1)}
