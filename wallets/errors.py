"""The wallet rules' errors, in the contract's codes (core.api.errors turns them into responses)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.api.errors import Conflict, DomainError, Forbidden


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("The wallet does not hold enough money for this.")


class WrongPin(Forbidden):
    code = "wrong_pin"
    default_detail = _("The PIN is not correct.")


class PinLocked(Forbidden):
    code = "pin_locked"
    default_detail = _("Too many wrong PINs: money cannot leave this wallet for 15 minutes.")


class AlreadyPaid(Conflict):
    code = "already_paid"
    default_detail = _("You have already paid these dues.")


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    default_detail = _("This Idempotency-Key was already used with another request.")


class BalanceLimit(Conflict):
    default_detail = _("The receiving wallet would hold more than the most a wallet can hold.")
