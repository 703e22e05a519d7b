"""Who is in which channel: one layout for every way of provisioning a run."""


def channel_members(*, users: int, channels: int, per_channel: int) -> list[list[int]]:
    """User indexes of each channel: consecutive blocks of `per_channel`, wrapping around.

    With users == channels * per_channel every user is in exactly one channel; with fewer
    users some are in several, with more some are in none.
    """
    if users < 1 or channels < 1 or not 1 <= per_channel <= users:
        raise ValueError("need users >= 1, channels >= 1 and 1 <= per_channel <= users")
    return [[(channel * per_channel + slot) % users for slot in range(per_channel)] for channel in range(channels)]
