"""What channel writes announce to live clients, through the outbox (chat/outbox.py).

channels_app sends its signals inside a membership or channel change's transaction (channels_app/
signals.py); these receivers write what clients must hear as outbox rows there, so what a change
announces commits with it, and a change made while Redis is away is still answered 2xx and heard
once Redis is back. A message's change (edit, deletion, reactions) is announced inside its own
transaction. What is not an announcement (presence looking at the members again) is registered
on commit here, by the publisher, not by its callers.
"""

import json

from django.db import transaction

from chat.outbox import announce_channel_event, announce_channel_frame, announce_feed_payload, announce_room_payload
from chat.realtime.hubs import get_hub
from chat.realtime.payloads import change_payload, left_payload


def _member(user) -> dict:
    return {"user": {"id": user.pk, "username": user.username}}


def on_member_joined(*, channel_id: int, user, **kwargs) -> None:
    announce_channel_event(channel_id=channel_id, event="member_joined", data=_member(user))
    _members_changed_on_commit(channel_id)


def on_channel_changed(*, channel_id: int, **kwargs) -> None:
    """Renamed, described, locked or unlocked, handed over: every subscriber's screen shows it."""
    from channels_app.api import ChannelOutputSerializer
    from channels_app.selectors import channel_with_member_count

    channel = ChannelOutputSerializer(channel_with_member_count(channel_id=channel_id)).data
    announce_channel_event(channel_id=channel_id, event="channel_updated", data={"channel": channel})


def on_member_left(*, channel_id: int, user, **kwargs) -> None:
    """The channel hears it; every node drops the user's subscriptions to it: through the room's
    own topic, so every message published after it comes after it on every node, and to the
    user's connections, which remember memberships for sending."""
    announce_channel_event(channel_id=channel_id, event="member_left", data=_member(user))
    announce_room_payload(channel_id=channel_id, payload=left_payload(user.pk))
    announce_feed_payload(user_id=user.pk, payload=left_payload(channel_id))
    _members_changed_on_commit(channel_id)


def _members_changed_on_commit(channel_id: int) -> None:
    """Presence tells the channel who is online once the membership change committed."""
    transaction.on_commit(lambda: get_hub().members_changed_from_thread(channel_id), robust=True)


def on_marker_moved(*, channel_id: int, user, seq: int, **kwargs) -> None:
    """A read marker moved through REST: the channel's subscribers hear it like a WebSocket read."""
    from chat.realtime.receipts import receipt_frame

    announce_channel_frame(channel_id=channel_id, frame=receipt_frame(channel_id, {user.pk: seq}))


def announce_change(*, state, emoji: str | None = None) -> None:
    """A change to a message (edit, deletion, reactions), on its room's topic with its version;
    in the change's transaction. Clients that miss it get it when they resume (since_version).
    A reaction's frame carries the count of its `emoji` only."""
    from chat.selectors import change_frames

    frames = json.dumps(change_frames(state, emoji=emoji), separators=(",", ":"), ensure_ascii=False)
    announce_room_payload(channel_id=state.channel_id, payload=change_payload(state.version, frames))
