"""Notifications to WebSocket clients: {type: "event", event, channel?, data}.

Call these from services inside `transaction.on_commit`, so no client hears of a write
that rolled back. User events reach every connection of that user without a subscribe;
channel events reach the channel's subscribers.
"""

import json

from chat.realtime.hub import ephemeral_payload, left_payload
from chat.realtime.hubs import get_hub


def event_frame(event: str, data: dict, channel_id: int | None = None) -> dict:
    frame = {"type": "event", "event": event, "data": data}
    if channel_id is not None:
        frame["channel"] = channel_id
    return frame


def publish_user_event(*, user_id: int, event: str, data: dict, channel_id: int | None = None) -> None:
    text = json.dumps(event_frame(event, data, channel_id), separators=(",", ":"))
    get_hub().publish_to_user_from_thread(user_id, ephemeral_payload(0, text))


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
    get_hub().publish_to_user_from_thread(user_id, left_payload(channel_id))


def _member(user) -> dict:
    return {"user": {"id": user.pk, "username": user.username}}


def on_member_joined(*, channel_id: int, user, **kwargs) -> None:
    publish_channel_event(channel_id=channel_id, event="member_joined", data=_member(user))


def on_member_left(*, channel_id: int, user, **kwargs) -> None:
    publish_channel_event(channel_id=channel_id, event="member_left", data=_member(user))
    publish_membership_ended(user_id=user.pk, channel_id=channel_id)
