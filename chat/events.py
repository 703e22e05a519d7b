"""Notifications to WebSocket clients: {type: "event", event, channel?, data}.

Services announce what their writes did through chat/outbox.py, in their transaction; the
relay calls these. Called directly, call them inside `transaction.on_commit`, so no client hears
of a write that rolled back. User events reach every connection of that user without a subscribe;
channel events reach the channel's subscribers.
"""

import json

from chat.realtime.hub import ephemeral_payload
from chat.realtime.hubs import get_hub


def event_frame(event: str, data: dict, channel_id: int | None = None, outbox_id: int | None = None) -> dict:
    frame = {"type": "event", "event": event, "data": data}
    if channel_id is not None:
        frame["channel"] = channel_id
    if outbox_id is not None:  # announced through the outbox (chat/outbox.py): a repeat has the same id
        frame["outbox_id"] = outbox_id
    return frame


def publish_user_event(
    *, user_id: int, event: str, data: dict, channel_id: int | None = None, outbox_id: int | None = None
) -> None:
    text = json.dumps(event_frame(event, data, channel_id, outbox_id), separators=(",", ":"))
    get_hub().publish_to_user_from_thread(user_id, ephemeral_payload(0, text))


def publish_channel_event(*, channel_id: int, event: str, data: dict, outbox_id: int | None = None) -> None:
    """Goes out through the room fan-out, like messages (seq 0: not part of history)."""
    text = json.dumps(event_frame(event, data, channel_id, outbox_id), separators=(",", ":"))
    get_hub().publish_from_thread(channel_id, ephemeral_payload(0, text))


async def publish_mentions(*, message: dict, user_ids: list[int]) -> None:
    """Each member the message names hears of it (event `mentioned`), on any node."""
    frame = event_frame(
        "mentioned",
        {"message": {key: message[key] for key in ("id", "channel", "seq", "sender", "body", "created_at")}},
        message["channel"],
    )
    text = json.dumps(frame, separators=(",", ":"), ensure_ascii=False)
    for user_id in user_ids:
        await get_hub().publish_to_user(user_id, ephemeral_payload(0, text))
