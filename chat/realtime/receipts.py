"""Read receipts: who has read how far, told to each channel's subscribers.

Every member of a busy room reads every message, so a receipt per read would be a frame per
member per member: a node gathers the reads of each channel for FLUSH_SECONDS and sends one
{type: "read_receipts", channel, reads: [{user, seq}, ...]} frame (a client counts "unread by"
from these). The markers themselves are written in batches too: one database hop per
event-loop turn.
"""

import asyncio

from chat.realtime import protocol
from chat.realtime.turn_batch import TurnBatch

FLUSH_SECONDS = 0.5


async def _write_markers(reads: list[tuple[int, int, int]]) -> list[int]:
    from chat.read_markers import read_markers_move  # models: importable once Django is set up

    return await read_markers_move(reads)


_write_marker = TurnBatch(_write_markers, one_at_a_time=True)


def receipt_frame(channel_id: int, reads: dict[int, int]) -> dict:
    frame = {
        "type": "read_receipts",
        "channel": channel_id,
        "reads": [{"user": user_id, "seq": seq} for user_id, seq in sorted(reads.items())],
    }
    if len(reads) == 1:  # one reader: also docs/api.md's {user, seq} form
        ((frame["user"], frame["seq"]),) = reads.items()
    return frame


class ReadReceipts:
    def __init__(self, publish):
        self.publish = publish  # the hub's publish_ephemeral(channel_id, sender_id, frame text)
        self.pending: dict[int, dict[int, int]] = {}
        self.flushing: asyncio.Task | None = None

    async def read(self, *, user_id: int, channel_id: int, seq: int) -> None:
        """Moves the user's marker (never back) and tells the channel, with the others of the moment."""
        seq = await _write_marker((user_id, channel_id, seq))
        reads = self.pending.setdefault(channel_id, {})
        reads[user_id] = max(seq, reads.get(user_id, 0))
        if self.flushing is None or self.flushing.done():
            self.flushing = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        pending, self.pending = self.pending, {}
        for channel_id, reads in pending.items():
            await self.publish(channel_id, 0, protocol.encode(receipt_frame(channel_id, reads)))
