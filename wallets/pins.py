"""Wallet PINs: hashed with Django's hashers; five wrong PINs lock outgoing money for 15 minutes
(core/guesses.py).

A 4-6 digit PIN has at most a million values, so its protection is the lockout, not the
hash's cost: the hasher runs fewer PBKDF2 rounds than account passwords do, which keeps
a transfer's PIN check at a few milliseconds instead of half a second of CPU.
"""

import re

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.guesses import guess_settle
from wallets.errors import PinLocked, WrongPin
from wallets.models import Wallet

PIN_PATTERN = re.compile(r"\A[0-9]{4,6}\Z")  # \Z: "$" would let a trailing newline in


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
    """Records the outcome of a PIN check and returns the refusal, if any (the rule: core/guesses.py).

    Must run under the wallet's row lock (wallets.locks), so concurrent wrong PINs all count.
    The caller commits the attempt counter before raising the refusal.
    """
    refusal = guess_settle(
        wallet, matches=matches, failures_field="failed_pin_attempts", locked_until_field="pin_locked_until"
    )
    if refusal is None:
        return None
    if refusal.locked_now:
        return PinLocked(_("Five wrong PINs: money cannot leave this wallet for 15 minutes."))
    if refusal.locked:
        return PinLocked()
    return WrongPin(
        ngettext(
            "The PIN is not correct; %(left)d more wrong try locks the wallet for 15 minutes.",
            "The PIN is not correct; %(left)d more wrong tries lock the wallet for 15 minutes.",
            refusal.tries_left,
        )
        % {"left": refusal.tries_left}
    )
