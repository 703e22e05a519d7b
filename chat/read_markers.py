"""Read markers: how far each member has read a channel (KakaoTalk's unread numbers)."""

from channels.db import database_sync_to_async

from channels_app.services import channel_mark_read_many
from chat.selectors import channels_last_seq_async


async def reads_bounded(reads: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """(user id, channel id, seq) reads with no seq past its channel's last message: a marker
    from the future would hide every later message from the reader's unread count."""
    last_seqs = await channels_last_seq_async(sorted({channel_id for _, channel_id, _ in reads}))
    return [(user_id, channel_id, min(seq, last_seqs[channel_id])) for user_id, channel_id, seq in reads]


async def read_markers_move(reads: list[tuple[int, int, int]]) -> list[int]:
    """Moves the WebSocket's read markers of a moment forward; returns the seqs as written."""
    written = await reads_bounded(reads)
    await database_sync_to_async(channel_mark_read_many)(reads=written)
    return [seq for _, _, seq in written]
