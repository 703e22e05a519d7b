"""The few /ws/ frames the reference servers speak (docs/api.md "WebSocket"), built in one place."""

import json
import uuid
from datetime import UTC, datetime


def subscribed(channel: int, last_seq: int) -> str:
    return json.dumps({"type": "subscribed", "channel": channel, "last_seq": last_seq})


def new_message(send_frame: dict, seq: int) -> dict:
    """The message a `send` frame makes, given its seq (no accounts here: sender 0)."""
    return {
        "id": uuid.uuid4().hex,
        "channel": send_frame["channel"],
        "seq": seq,
        "sender": {"id": 0, "username": "load"},
        "body": send_frame["body"],
        "client_msg_id": send_frame["client_msg_id"],
        "created_at": datetime.now(UTC).isoformat(),
    }


def message_frame(message: dict) -> str:
    return json.dumps({"type": "message", **message})


def ack_frame(message: dict) -> str:
    return json.dumps(
        {"type": "ack", **{key: message[key] for key in ("channel", "client_msg_id", "id", "seq", "created_at")}}
    )


PONG = '{"type":"pong"}'
