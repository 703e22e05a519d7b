"""When a scheduled transfer runs next."""

import calendar
from datetime import datetime, timedelta

_STEPS = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}


def next_occurrence(*, repeat: str, previous: datetime, anchor: datetime) -> datetime | None:
    """The occurrence after `previous`, or None for a one-off.

    Monthly runs keep the anchor's day of month, clamped to the month's length
    (an anchor on the 31st runs on Feb 28 or 29, then on Mar 31).
    """
    if repeat == "none":
        return None
    if repeat in _STEPS:
        return previous + _STEPS[repeat]
    year, month_index = divmod(previous.year * 12 + previous.month, 12)  # months counted from 0, plus one
    month = month_index + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return previous.replace(year=year, month=month, day=day)
