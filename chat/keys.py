"""Redis key and topic names, built from ids in one place."""

from urllib.parse import urlparse

from django.conf import settings

PERSIST_STREAM = "chat:persist"
PERSIST_GROUP = "persisters"


def seq_key(channel_id: int) -> str:
    return f"chat:seq:{channel_id}"


def dedup_key(channel_id: int, client_msg_id: str) -> str:
    return f"chat:dedup:{channel_id}:{client_msg_id}"


def tail_key(channel_id: int) -> str:
    """Messages not yet confirmed in the store, scored by seq."""
    return f"chat:tail:{channel_id}"


def room_topic(channel_id: int) -> str:
    """Pub/sub topics are server-wide, not per Redis database: the database number in the topic
    keeps two deployments (or test runs) on one Redis server from hearing each other's rooms."""
    database = urlparse(settings.REDIS_URL).path.strip("/") or "0"
    return f"chat:{database}:room:{channel_id}"


def channel_of_topic(topic: bytes | str) -> int:
    return int(topic.rsplit(b":" if isinstance(topic, bytes) else ":", 1)[1])
