"""Redis key and topic names, built from ids in one place."""

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
    return f"chat:room:{channel_id}"
