"""Private channels' passwords: a cheap dedicated hash, and five wrong ones lock a person out.

Account passwords use Django's PBKDF2 at about 0.9 s of CPU per check: fine once per sign-in,
but a channel password is checked on every join attempt, so guessing it was a denial of
service. A channel password guards a shared room, not an account; like wallet PINs
(wallets/pins.py) its protection is the lockout, with the same rule (core/guesses.py): five wrong
passwords for one channel lock that person out of joining it for 15 minutes. The join endpoint is also
throttled per client address (ChannelPasswordThrottle).

Hashes written before this hasher existed (Django's default) are checked once more at their
old cost and replaced by a cheap one at the first right password.
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password
from django.db import transaction
from django.utils.translation import gettext_lazy, ngettext

from channels_app.models import Channel, ChannelPasswordAttempts
from core.api.errors import DomainError, Forbidden
from core.guesses import guess_settle, is_locked


class ChannelPasswordHasher(PBKDF2PasswordHasher):
    algorithm = "channel_pbkdf2_sha256"
    iterations = 20_000


_hasher = ChannelPasswordHasher()


class WrongPassword(Forbidden):
    code = "wrong_password"
    default_detail = gettext_lazy("The channel password is not right.")


class PasswordLocked(DomainError):
    code = "rate_limited"
    status_code = 429
    default_detail = gettext_lazy("Five wrong passwords: you cannot try to join this channel for 15 minutes.")


def password_hash(password: str) -> str:
    return _hasher.encode(password, _hasher.salt())


def _matches(*, channel: Channel, password: str) -> bool:
    """The slow part; runs before any row lock."""
    if channel.password_hash.startswith(f"{_hasher.algorithm}$"):
        return _hasher.verify(password, channel.password_hash)
    return check_password(password, channel.password_hash)  # an older hash, at its own cost


def _locked(*, user, channel: Channel) -> bool:
    attempts = ChannelPasswordAttempts.objects.filter(channel=channel, user=user).first()
    return attempts is not None and is_locked(attempts.locked_until)


def channel_password_check(*, user, channel: Channel, password: str) -> None:
    """Raises WrongPassword or PasswordLocked. Counts wrong passwords in a transaction of its own,
    so call it outside any transaction: the count must stay when the refusal is raised."""
    if _locked(user=user, channel=channel):
        raise PasswordLocked()  # before hashing: a locked-out guesser costs no CPU
    matches = _matches(channel=channel, password=password)
    with transaction.atomic():
        attempts, _ = ChannelPasswordAttempts.objects.select_for_update().get_or_create(channel=channel, user=user)
        refusal = _settle(attempts, matches=matches)
        if matches and refusal is None and not channel.password_hash.startswith(f"{_hasher.algorithm}$"):
            Channel.objects.filter(pk=channel.pk, password_hash=channel.password_hash).update(
                password_hash=password_hash(password)
            )
    if refusal is not None:
        raise refusal


def _settle(attempts: ChannelPasswordAttempts, *, matches: bool) -> DomainError | None:
    """Under the attempts row's lock, so concurrent wrong passwords all count."""
    refusal = guess_settle(attempts, matches=matches, failures_field="failures", locked_until_field="locked_until")
    if refusal is None:
        attempts.delete()
        return None
    if refusal.locked:
        return PasswordLocked()
    return WrongPassword(
        ngettext(
            "The channel password is not right; %(left)d more wrong try locks joining it for 15 minutes.",
            "The channel password is not right; %(left)d more wrong tries lock joining it for 15 minutes.",
            refusal.tries_left,
        )
        % {"left": refusal.tries_left}
    )
