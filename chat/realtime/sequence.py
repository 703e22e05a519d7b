"""Seq numbers a channel may hand out, reserved in the database ahead of the Redis counter.

The counter lives in Redis (the send script's INCR) and must never pass the channel's ceiling;
when it reaches it, the next block is reserved here first. If Redis loses its data the counter
starts again from the reserved ceiling: numbers in between may be skipped, none is reused.
"""

from django.db import transaction

from chat.models import SeqReservation

BLOCK = 100


@transaction.atomic
def seq_reserve(*, floors: dict[int, int]) -> dict[int, int]:
    """Raises each channel's ceiling to a block above `floors[channel]` (its counter); returns them."""
    SeqReservation.objects.bulk_create(
        [SeqReservation(channel_id=channel_id) for channel_id in floors], ignore_conflicts=True
    )
    rows = list(SeqReservation.objects.filter(channel_id__in=floors).order_by("channel_id").select_for_update())
    for row in rows:
        row.reserved = max(row.reserved, floors[row.channel_id]) + BLOCK
    # One INSERT ... ON CONFLICT UPDATE: bulk_update's CASE per row grew with the square of a
    # cold start's batch (every channel reserving at once).
    SeqReservation.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["channel"], update_fields=["reserved"]
    )
    return {row.channel_id: row.reserved for row in rows}


def seq_ceilings(*, channel_ids: list[int]) -> dict[int, int]:
    """The reserved ceiling of each channel (0 for one that never reserved)."""
    found = dict(SeqReservation.objects.filter(channel_id__in=channel_ids).values_list("channel_id", "reserved"))
    return {channel_id: found.get(channel_id, 0) for channel_id in channel_ids}
