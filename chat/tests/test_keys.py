from django.test import override_settings
from redis.crc import key_slot

from chat.realtime import keys


def test_rooms_of_two_redis_databases_on_one_server_are_different_topics():
    """Redis pub/sub ignores the database number, so the topic has to carry it."""
    with override_settings(REDIS_URL="redis://127.0.0.1:6379/10"):
        topic_in_10 = keys.room_topic(7)
    with override_settings(REDIS_URL="redis://127.0.0.1:6379/13"):
        topic_in_13 = keys.room_topic(7)
    assert topic_in_10 != topic_in_13
    assert keys.parse_topic(topic_in_13) == ("room", 7)
    assert keys.parse_topic(topic_in_13.encode()) == ("room", 7)
    assert keys.parse_topic(keys.user_topic(7)) == ("user", 7)


def test_every_key_of_a_channel_and_its_stream_share_one_slot():
    """A Redis Cluster runs the send script only on keys of one slot."""
    channel_keys = [
        keys.seq_key(42),
        keys.ceiling_key(42),
        keys.dedup_key(42, 7, "c1"),
        keys.writer_key(42),
        keys.tail_key(42),
        keys.channel_persist_stream(42),
        keys.room_topic(42),
    ]
    assert len({key_slot(key.encode()) for key in channel_keys}) == 1


def test_partitions_spread_evenly_over_the_slots():
    slots = sorted(key_slot(stream.encode()) for stream in keys.persist_streams())
    width = keys.SLOTS // keys.PARTITIONS
    assert [slot // width for slot in slots] == list(range(keys.PARTITIONS))
