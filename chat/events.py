"""Notifications to WebSocket clients: {type: "event", event, channel?, data}.

Call these from services inside `transaction.on_commit`, so no client hears of a write
that rolled back. User events reach every connection of that user without a subscribe;
channel events reach the channel's subscribers.
"""

import json

from chat.realtime.hub import change_payload, ephemeral_payload, left_payload
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


def publish_channel_frame(*, channel_id: int, frame: dict) -> None:
    """A frame of its own type (channel_updated, poll) to the channel's subscribers; not part of history."""
    text = json.dumps({**frame, "channel": channel_id}, separators=(",", ":"), ensure_ascii=False)
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
    get_hub().members_changed_from_thread(channel_id)


def on_channel_changed(*, channel_id: int, **kwargs) -> None:
    """Renamed, described, locked or unlocked, handed over: every subscriber's screen shows it."""
    from channels_app.api import ChannelOutputSerializer
    from channels_app.selectors import channel_with_member_count

    channel = ChannelOutputSerializer(channel_with_member_count(channel_id=channel_id)).data
    publish_channel_event(channel_id=channel_id, event="channel_updated", data={"channel": channel})


def on_member_left(*, channel_id: int, user, **kwargs) -> None:
    publish_channel_event(channel_id=channel_id, event="member_left", data=_member(user))
    publish_membership_ended(user_id=user.pk, channel_id=channel_id)
    get_hub().members_changed_from_thread(channel_id)


def publish_change(*, state) -> None:
    """A change to a message (edit, deletion, reactions), on its room's topic with its version.
    Called on commit; clients that miss it get it when they resume (since_version)."""
    from chat.selectors import change_frames

    frames = json.dumps(change_frames(state), separators=(",", ":"), ensure_ascii=False)
    get_hub().publish_from_thread(state.channel_id, change_payload(state.version, frames))


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


def on_marker_moved(*, channel_id: int, user, seq: int, **kwargs) -> None:
    """A read marker moved through REST: the channel's subscribers hear it like a WebSocket read."""
    from chat.realtime.receipts import receipt_frame

    text = json.dumps(receipt_frame(channel_id, {user.pk: seq}), separators=(",", ":"))
    get_hub().publish_from_thread(channel_id, ephemeral_payload(0, text))
