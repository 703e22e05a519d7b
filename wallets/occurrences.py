"""When a scheduled transfer runs next, and when a recurring dues request falls due next."""

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_STEPS = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}


def next_occurrence(*, repeat: str, previous, anchor, time_zone: str | None = None):
    """The occurrence after `previous`, or None for a one-off.

    Monthly runs keep the anchor's day of month, clamped to the month's length
    (an anchor on the 31st runs on Feb 28 or 29, then on Mar 31). With a time zone, the steps are
    taken on that zone's calendar and clock (08:00 on the 31st in Seoul is 23:00 on the 30th in
    UTC), and the result is in UTC; without one, on the values as given (dates).
    """
    if time_zone is None:
        return _next_on_calendar(repeat=repeat, previous=previous, anchor=anchor)
    zone = ZoneInfo(time_zone)
    wall = _next_on_calendar(
        repeat=repeat, previous=previous.astimezone(zone).replace(tzinfo=None), anchor=anchor.astimezone(zone)
    )
    return None if wall is None else wall.replace(tzinfo=zone).astimezone(UTC)


def _next_on_calendar(*, repeat: str, previous: date | datetime, anchor: date | datetime):
    if repeat == "none":
        return None
    if repeat in _STEPS:
        return previous + _STEPS[repeat]
    year, month_index = divmod(previous.year * 12 + previous.month, 12)  # months counted from 0, plus one
    month = month_index + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return previous.replace(year=year, month=month, day=day)
