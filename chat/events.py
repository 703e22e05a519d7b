"""Notifications to WebSocket clients: {type: "event", event, channel?, data}.

Call these from services inside `transaction.on_commit`, so no client hears of a write
that rolled back. User events reach every connection of that user without a subscribe;
channel events reach the channel's subscribers.
"""

import json

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from chat.realtime.hub import ephemeral_payload, get_hub, left_payload


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def channel_group(channel_id: int) -> str:
    return f"channel.{channel_id}"


def event_frame(event: str, data: dict, channel_id: int | None = None) -> dict:
    frame = {"type": "event", "event": event, "data": data}
    if channel_id is not None:
        frame["channel"] = channel_id
    return frame


def publish_user_event(*, user_id: int, event: str, data: dict, channel_id: int | None = None) -> None:
    async_to_sync(get_channel_layer().group_send)(
        user_group(user_id), {"type": "client.frame", "frame": event_frame(event, data, channel_id)}
    )


def publish_channel_event(*, channel_id: int, event: str, data: dict) -> None:
    """Goes out through the room fan-out, like messages (seq 0: not part of history)."""
    text = json.dumps(event_frame(event, data, channel_id), separators=(",", ":"))
    get_hub().publish_from_thread(channel_id, ephemeral_payload(0, text))


def publish_membership_ended(*, user_id: int, channel_id: int) -> None:
    """The user is no longer a member: every node drops their subscriptions to the channel.

    Through the room's own topic, so every message published after this returns comes after
    it on every node; and to the user's connections, which remember memberships for sending.
    """
    get_hub().publish_from_thread(channel_id, left_payload(user_id))
    async_to_sync(get_channel_layer().group_send)(
        user_group(user_id), {"type": "membership.left", "channel": channel_id}
    )
