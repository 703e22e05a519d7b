"""What a subscriber is brought up to date with: the changes to messages it already has, and
the channel's read markers and who is online (so no receipt or presence change it missed
while away counts).

Subscribes come in crowds (a node's clients reconnect together after a drain): the reads of
one event-loop turn share one query.
"""

from channels.db import database_sync_to_async

from chat.realtime import protocol
from chat.realtime.hubs import get_hub
from chat.realtime.turn_batch import TurnBatch
from chat.selectors import change_frames, changes_after


async def changes_since(*, channel_id: int, after_version: int, up_to_seq: int, until_version: int) -> list[str]:
    """Frames of every change after `after_version` to messages up to `up_to_seq`."""

    def read() -> list:
        return changes_after(
            channel_id=channel_id, after_version=after_version, up_to_seq=up_to_seq, until_version=until_version
        )

    states = await database_sync_to_async(read)()
    return [protocol.encode(frame) for state in states for frame in change_frames(state)]


async def _markers(channel_ids: list[int]) -> list[list[tuple[int, int]]]:
    from channels_app.selectors import channels_read_markers

    found = await database_sync_to_async(channels_read_markers)(channel_ids=list(set(channel_ids)))
    return [found[channel_id] for channel_id in channel_ids]


_read_markers = TurnBatch(_markers, one_at_a_time=True)


async def snapshot_frames(channel_id: int) -> list[dict]:
    """Every member's read marker, and who of the members is online now."""
    markers = await _read_markers(channel_id)
    online = await get_hub().presence.online_among([user_id for user_id, _ in markers])
    reads = [{"user": user_id, "seq": seq} for user_id, seq in markers]
    return [
        {"type": "read_receipts", "channel": channel_id, "reads": reads},
        {"type": "presence", "channel": channel_id, "online": sorted(online)},
    ]
