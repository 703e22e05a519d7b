"""Notifications to WebSocket clients: {type: "event", event, channel?, data}.

Services announce what their writes did through chat/outbox.py, in their transaction. The relay
numbers each event in its stream (a channel's, or a user's feed) and keeps it (chat.models.KeptEvent),
then publishes it with that position: a node that missed it on pub/sub (its subscription broke
while Redis was away) delivers it from what was kept, exactly once and in order
(chat/realtime/hub.py). User events reach every connection of that user without a subscribe;
channel events reach the channel's subscribers.
"""

import json

from chat.realtime.hubs import get_hub
from chat.realtime.payloads import ephemeral_payload, kept_payload


def event_frame(event: str, data: dict, channel_id: int | None = None, outbox_id: int | None = None) -> dict:
    frame = {"type": "event", "event": event, "data": data}
    if channel_id is not None:
        frame["channel"] = channel_id
    if outbox_id is not None:  # announced through the outbox (chat/outbox.py): a repeat has the same id
        frame["outbox_id"] = outbox_id
    return frame


def frame_text(frame: dict) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def publish_kept_channel_event(*, channel_id: int, position: int, text: str) -> None:
    """Goes out through the room fan-out, like messages, with its position in the channel's events."""
    get_hub().publish_from_thread(channel_id, kept_payload(position, text))


def publish_kept_user_event(*, user_id: int, position: int, text: str) -> None:
    get_hub().publish_to_user_from_thread(user_id, kept_payload(position, text))


async def publish_mentions(*, message: dict, user_ids: list[int]) -> None:
    """Each member the message names hears of it (event `mentioned`), on any node. Not kept: the
    message itself is in history, with its mentions."""
    frame = event_frame(
        "mentioned",
        {"message": {key: message[key] for key in ("id", "channel", "seq", "sender", "body", "created_at")}},
        message["channel"],
    )
    for user_id in user_ids:
        await get_hub().publish_to_user(user_id, ephemeral_payload(0, frame_text(frame)))
