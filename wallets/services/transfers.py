"""Transfers, withdrawals and top-ups: each is one money_move."""

from django.utils.translation import gettext as _

from wallets.models import ApprovalRequest, Transfer
from wallets.services.movements import Order, money_move


def wallet_transfer(
    *, actor, source_id: int, target_id: int, amount: int, pin: str, memo: str = ""
) -> Transfer | ApprovalRequest:
    """A Transfer, or the ApprovalRequest it waits on when the group wallet's policy asks for approvals."""
    order = Order(
        kind=Transfer.Kind.TRANSFER, actor=actor, amount=amount, source_id=source_id, target_id=target_id, memo=memo
    )
    return money_move(order=order, pin=pin)


def wallet_withdraw(*, actor, wallet_id: int, amount: int, pin: str) -> Transfer | ApprovalRequest:
    """Money out to the outside world (or the ApprovalRequest it waits on)."""
    order = Order(kind=Transfer.Kind.WITHDRAW, actor=actor, amount=amount, source_id=wallet_id, memo=_("Withdrawal"))
    return money_move(order=order, pin=pin)


def wallet_deposit(*, actor, wallet_id: int, amount: int) -> Transfer:
    """Money in from the outside world (a top-up): the personal wallet's owner only."""
    order = Order(kind=Transfer.Kind.DEPOSIT, actor=actor, amount=amount, target_id=wallet_id, memo=_("Top-up"))
    return money_move(order=order)
