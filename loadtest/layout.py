"""Who is in which channel: one layout for every way of provisioning a run."""

MIXED_STEP = 5  # mixed rooms: sizes from the smallest to the largest in steps of this


def channel_members(*, users: int, channels: int, per_channel: int, largest: int | None = None) -> list[list[int]]:
    """User indexes of each channel: consecutive blocks of `per_channel`, wrapping around.

    With users == channels * per_channel every user is in exactly one channel; with fewer
    users some are in several, with more some are in none. With `largest`, rooms of mixed
    sizes instead (mixed_sizes): every user in one room, and `channels` is what that makes.
    """
    if largest is not None:
        sizes = mixed_sizes(users=users, smallest=per_channel, largest=largest)
        starts = [sum(sizes[:index]) for index in range(len(sizes))]
        return [list(range(start, start + size)) for start, size in zip(starts, sizes, strict=True)]
    if users < 1 or channels < 1 or not 1 <= per_channel <= users:
        raise ValueError("need users >= 1, channels >= 1 and 1 <= per_channel <= users")
    return [[(channel * per_channel + slot) % users for slot in range(per_channel)] for channel in range(channels)]


def mixed_sizes(*, users: int, smallest: int, largest: int) -> list[int]:
    """Room sizes smallest, smallest + 5, ... largest, again and again until every user is in one;
    the last room takes who is left (a messenger's rooms: a few friends up to a whole club)."""
    if not 1 <= smallest <= largest <= users:
        raise ValueError("need 1 <= smallest <= largest <= users")
    cycle = list(range(smallest, largest + 1, MIXED_STEP))
    sizes, placed = [], 0
    while placed < users:
        size = min(cycle[len(sizes) % len(cycle)], users - placed)
        sizes.append(size)
        placed += size
    return sizes
