"""Wrong guesses of a short secret: five in a row lock the guesser out for 15 minutes.

A channel password (channels_app/passwords.py) and a wallet PIN (wallets/pins.py) are cheap to
hash so that checking them costs no real CPU; their protection is this lockout, with one rule for
both. The count and the lock live on the caller's row (whose fields the caller names), and the
caller words the refusal. Sign-in has its own lockout, django-axes (accounts/lockout.py).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import models
from django.utils import timezone

MAX_WRONG_GUESSES = 5
LOCK_DURATION = timedelta(minutes=15)


@dataclass(frozen=True)
class Refusal:
    tries_left: int  # wrong guesses before the lock; 0: locked
    locked_now: bool = False  # this guess was the one that locked

    @property
    def locked(self) -> bool:
        return self.tries_left == 0


def is_locked(locked_until) -> bool:
    return locked_until is not None and locked_until > timezone.now()


def guess_settle(row: models.Model, *, matches: bool, failures_field: str, locked_until_field: str) -> Refusal | None:
    """Records one guess on `row` and returns the refusal, if any (None: the guess was right).

    Must run under `row`'s lock, so concurrent wrong guesses all count; the caller commits the
    count before raising the refusal. A right guess while locked is still refused.
    """
    now = timezone.now()
    if is_locked(getattr(row, locked_until_field)):
        return Refusal(tries_left=0)
    failures = getattr(row, failures_field)
    if matches:
        if failures:
            setattr(row, failures_field, 0)
            row.save(update_fields=[failures_field])
        return None
    failures += 1
    if failures >= MAX_WRONG_GUESSES:
        setattr(row, failures_field, 0)
        setattr(row, locked_until_field, now + LOCK_DURATION)
        row.save(update_fields=[failures_field, locked_until_field])
        return Refusal(tries_left=0, locked_now=True)
    setattr(row, failures_field, failures)
    row.save(update_fields=[failures_field])
    return Refusal(tries_left=MAX_WRONG_GUESSES - failures)
