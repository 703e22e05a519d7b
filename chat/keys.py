"""Redis key and topic names, built from ids in one place.

Every key of a channel carries the channel id as a hash tag (`{42}`), so one channel's keys
live together (one slot of a Redis Cluster, where a script may only touch one slot).
"""

from functools import cache
from urllib.parse import urlparse

from django.conf import settings

PERSIST_STREAM = "chat:persist"
PERSIST_GROUP = "persisters"


def seq_key(channel_id: int) -> str:
    """The channel's last allocated seq."""
    return f"chat:{{{channel_id}}}:seq"


def ceiling_key(channel_id: int) -> str:
    """The highest seq reserved in the database: the counter never passes it (chat/sequence.py)."""
    return f"chat:{{{channel_id}}}:ceiling"


def dedup_key(channel_id: int, client_msg_id: str) -> str:
    return f"chat:{{{channel_id}}}:dedup:{client_msg_id}"


def tail_key(channel_id: int) -> str:
    """Messages not yet confirmed in the store, scored by seq."""
    return f"chat:{{{channel_id}}}:tail"


def presence_key(user_id: int) -> str:
    """The nodes a user has connections on, each with when its word expires (chat/realtime/presence.py)."""
    return f"chat:{{u{user_id}}}:presence"


def room_topic(channel_id: int) -> str:
    """Pub/sub topics are server-wide, not per Redis database: the database number in the topic
    keeps two deployments (or test runs) on one Redis server from hearing each other's rooms."""
    return f"chat:{_database(settings.REDIS_URL)}:{{{channel_id}}}:room"


def user_topic(user_id: int) -> str:
    """A user's feed: events for every connection of theirs, on whichever node."""
    return f"chat:{_database(settings.REDIS_URL)}:{{u{user_id}}}:user"


def parse_topic(topic: bytes | str) -> tuple[str, int]:
    """("room", channel id) or ("user", user id) of a room topic or a user feed."""
    if isinstance(topic, bytes):
        topic = topic.decode()
    tag = topic[topic.index("{") + 1 : topic.index("}")]
    return ("user", int(tag[1:])) if tag.startswith("u") else ("room", int(tag))


def node_topic(node: str) -> str:
    """A node's own topic: it hears its heartbeats there, proof that its subscriptions are alive."""
    return f"chat:{_database(settings.REDIS_URL)}:node:{node}"


@cache
def _database(redis_url: str) -> str:
    return urlparse(redis_url).path.strip("/") or "0"
