"""Reminders to pay (a dues request, a bill's split): at most one an hour per request, and an hour
is used only when somebody was left to remind."""

import math
from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import ngettext

from core.api.errors import RateLimited

REMIND_EVERY = timedelta(hours=1)


def reminder_send(*, locked, unpaid: Callable[[], list[int]], notify: Callable[..., None]) -> int:
    """Reminds the users `unpaid()` returns, through `notify(user_ids=, reminded_hour=)`; returns
    how many. Under the lock of `locked`, the request's row (its `last_reminded_at` is the hour's)."""
    now = timezone.now()
    if locked.last_reminded_at is not None and now - locked.last_reminded_at < REMIND_EVERY:
        minutes = math.ceil((locked.last_reminded_at + REMIND_EVERY - now).total_seconds() / 60)
        raise RateLimited(
            ngettext(
                "Members were reminded less than an hour ago: you can remind them again in %(minutes)d minute.",
                "Members were reminded less than an hour ago: you can remind them again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes}
        )
    user_ids = unpaid()
    if not user_ids:
        return 0
    locked.last_reminded_at = now
    locked.save(update_fields=["last_reminded_at"])
    notify(user_ids=user_ids, reminded_hour=int(now.timestamp()) // 3600)
    return len(user_ids)
