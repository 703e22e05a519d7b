"""Wallet PINs: hashed with Django's hashers; five wrong PINs lock outgoing money for 15 minutes.

A 4-6 digit PIN has at most a million values, so its protection is the lockout, not the
hash's cost: the hasher runs fewer PBKDF2 rounds than account passwords do, which keeps
a transfer's PIN check at a few milliseconds instead of half a second of CPU.
"""

import re
from datetime import timedelta

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wallets.errors import PinLocked, WrongPin
from wallets.models import Wallet

PIN_PATTERN = re.compile(r"\A[0-9]{4,6}\Z")  # \Z: "$" would let a trailing newline in
MAX_WRONG_ATTEMPTS = 5
LOCK_DURATION = timedelta(minutes=15)


class PinHasher(PBKDF2PasswordHasher):
    algorithm = "wallet_pin_pbkdf2_sha256"
    iterations = 20_000


_hasher = PinHasher()


def pin_hash(pin: str) -> str:
    return _hasher.encode(pin, _hasher.salt())


def pin_matches(*, wallet: Wallet, pin: str) -> bool:
    """The slow part of a PIN check; call it before taking any row lock."""
    return bool(wallet.pin_hash) and _hasher.verify(pin, wallet.pin_hash)


def pin_settle(*, wallet: Wallet, matches: bool) -> WrongPin | PinLocked | None:
    """Records the outcome of a PIN check and returns the refusal, if any.

    Must run under the wallet's row lock (wallets.locks), so concurrent wrong PINs all count.
    The caller commits the attempt counter before raising the refusal.
    """
    now = timezone.now()
    if wallet.pin_locked_until and wallet.pin_locked_until > now:
        return PinLocked()
    if matches:
        if wallet.failed_pin_attempts:
            wallet.failed_pin_attempts = 0
            wallet.save(update_fields=["failed_pin_attempts"])
        return None
    wallet.failed_pin_attempts += 1
    if wallet.failed_pin_attempts >= MAX_WRONG_ATTEMPTS:
        wallet.failed_pin_attempts = 0
        wallet.pin_locked_until = now + LOCK_DURATION
        wallet.save(update_fields=["failed_pin_attempts", "pin_locked_until"])
        return PinLocked(_("Five wrong PINs: money cannot leave this wallet for 15 minutes."))
    wallet.save(update_fields=["failed_pin_attempts"])
    left = MAX_WRONG_ATTEMPTS - wallet.failed_pin_attempts
    return WrongPin(
        ngettext(
            "The PIN is not correct; %(left)d more wrong try locks the wallet for 15 minutes.",
            "The PIN is not correct; %(left)d more wrong tries lock the wallet for 15 minutes.",
            left,
        )
        % {"left": left}
    )
