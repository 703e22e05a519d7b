"""Redis key and topic names, built from ids in one place.

Every key of a channel carries the channel's partition as a hash tag (`{p5.12}`), and so does the
persistence stream of that partition: a Redis Cluster runs a script only on keys of one slot, and
the send script writes the channel's counter, tail and dedup key, appends to its partition's
stream and publishes to its room in one step. The channels are spread over PARTITIONS
partitions (`channel id % PARTITIONS`), whose tags are chosen to fall evenly over the 16,384
slots, so every shard of a cluster holds its share of channels and streams; the workers drain
every partition's stream. PARTITIONS is part of the key names: changing it moves every
channel's keys (see docs/operations.md).
"""

import binascii
from functools import cache
from urllib.parse import urlparse

from django.conf import settings

PARTITIONS = 64
PERSIST_GROUP = "persisters"
SLOTS = 16384


def slot(tag: str) -> int:
    """The Redis Cluster slot of a hash tag: CRC16 (XMODEM) of its bytes, modulo 16,384."""
    return binascii.crc_hqx(tag.encode(), 0) % SLOTS


def tag_where(wanted, prefix: str) -> str:
    """The first tag `<prefix><n>` that is wanted (wanted(tag) is true)."""
    n = 0
    while not wanted(f"{prefix}{n}"):
        n += 1
    return f"{prefix}{n}"


@cache
def _partition_tags() -> tuple[str, ...]:
    width = SLOTS // PARTITIONS
    return tuple(tag_where(lambda tag, p=p: slot(tag) // width == p, f"p{p}.") for p in range(PARTITIONS))


def partition(channel_id: int) -> int:
    return channel_id % PARTITIONS


def _channel(channel_id: int) -> str:
    return f"{{{_partition_tags()[partition(channel_id)]}}}:{channel_id}"


def seq_key(channel_id: int) -> str:
    """The channel's last allocated seq."""
    return f"chat:{_channel(channel_id)}:seq"


def ceiling_key(channel_id: int) -> str:
    """The highest seq reserved in the database: the counter never passes it (chat/realtime/sequence.py)."""
    return f"chat:{_channel(channel_id)}:ceiling"


def writer_key(channel_id: int) -> str:
    """The Redis server that last wrote the counter: after a failover it is another one."""
    return f"chat:{_channel(channel_id)}:writer"


def dedup_key(channel_id: int, sender_id: int, client_msg_id: str) -> str:
    """A client_msg_id is its sender's own: two members may use the same one."""
    return f"chat:{_channel(channel_id)}:dedup:{sender_id}:{client_msg_id}"


def tail_key(channel_id: int) -> str:
    """Messages not yet confirmed in the store, scored by seq."""
    return f"chat:{_channel(channel_id)}:tail"


def persist_stream(partition_number: int) -> str:
    """The persistence stream of one partition: its channels' messages, in the order they were sent."""
    return f"chat:{{{_partition_tags()[partition_number]}}}:persist"


def persist_streams() -> list[str]:
    return [persist_stream(p) for p in range(PARTITIONS)]


def channel_persist_stream(channel_id: int) -> str:
    return persist_stream(partition(channel_id))


def presence_key(user_id: int) -> str:
    """The nodes a user has connections on, each with when its word expires (chat/realtime/presence.py)."""
    return f"chat:{{u{user_id}}}:presence"


def room_topic(channel_id: int) -> str:
    """Pub/sub topics are server-wide, not per Redis database: the database number in the topic
    keeps two deployments (or test runs) on one Redis server from hearing each other's rooms.
    The channel's hash tag puts the topic in its keys' slot (sharded pub/sub, the send script)."""
    return f"chat:{_database(settings.REDIS_URL)}:{_channel(channel_id)}:room"


def user_topic(user_id: int) -> str:
    """A user's feed: events for every connection of theirs, on whichever node."""
    return f"chat:{_database(settings.REDIS_URL)}:{{u{user_id}}}:user"


def parse_topic(topic: bytes | str) -> tuple[str, int]:
    """("room", channel id) or ("user", user id) of a room topic or a user feed."""
    if isinstance(topic, bytes):
        topic = topic.decode()
    parts = topic.split(":")
    if parts[-1] == "room":
        return "room", int(parts[-2])
    return "user", int(parts[-2][2:-1])


def node_topic(node: str, tag: str = "node") -> str:
    """A node's own topic: it hears its heartbeats there, proof that its subscriptions are alive.
    In a cluster each shard's connection has one, its tag chosen in that shard's slots."""
    return f"chat:{_database(settings.REDIS_URL)}:{{{tag}}}:node:{node}"


@cache
def _database(redis_url: str) -> str:
    return urlparse(redis_url).path.strip("/") or "0"
