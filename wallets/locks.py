"""Every wallet row lock is taken here, always in one order, so money movements never deadlock.

The order inside one transaction: first the one row the write is about (a schedule, a recurring
dues, a dues request or payment, an approval request; a treasurer handover takes its wallet's
schedules and approval requests, each kind in primary-key order), then every wallet it touches
with one query in primary-key order. Nothing locks a wallet and then one of those rows. The one
row taken after the wallets is a channel membership (a handover's new treasurer); a leave locks
that row and only reads wallets, so no transaction waits on the two in the other order.
"""

from collections.abc import Iterable

from core.api.errors import NotFound
from wallets.models import (
    ApprovalRequest,
    Dues,
    DuesPayment,
    RecurringDues,
    ScheduledTransfer,
    Split,
    SplitShare,
    Wallet,
)


def lock_wallets(wallet_ids: Iterable[int | None]) -> dict[int, Wallet]:
    """Locks the given wallets (None ignored) with one query; must run inside a transaction."""
    ids = sorted({wallet_id for wallet_id in wallet_ids if wallet_id is not None})
    wallets = {wallet.pk: wallet for wallet in Wallet.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    if len(wallets) != len(ids):
        raise NotFound()
    return wallets


def lock_schedule(schedule_id: int) -> ScheduledTransfer | None:
    return ScheduledTransfer.objects.select_for_update().filter(pk=schedule_id).first()


def lock_recurring_dues(recurring_id: int) -> RecurringDues | None:
    return RecurringDues.objects.select_for_update().filter(pk=recurring_id).first()


def lock_dues(dues_id: int) -> Dues:
    return Dues.objects.select_for_update().get(pk=dues_id)


def lock_dues_payment(payment_id: int) -> DuesPayment:
    return DuesPayment.objects.select_for_update().get(pk=payment_id)


def lock_approval_request(request_id: int) -> ApprovalRequest:
    return ApprovalRequest.objects.select_for_update().get(pk=request_id)


def lock_wallet_commitments(wallet_id: int) -> tuple[list[ScheduledTransfer], list[ApprovalRequest]]:
    """The active schedules and pending approval requests out of a wallet (a treasurer handover ends them)."""
    schedules = list(
        ScheduledTransfer.objects.select_for_update()
        .filter(from_wallet_id=wallet_id, status=ScheduledTransfer.Status.ACTIVE)
        .order_by("pk")
    )
    requests = list(
        ApprovalRequest.objects.select_for_update()
        .filter(from_wallet_id=wallet_id, status=ApprovalRequest.Status.PENDING)
        .order_by("pk")
    )
    return schedules, requests


def lock_split_share(share_id: int) -> SplitShare:
    return SplitShare.objects.select_for_update().get(pk=share_id)


def lock_split(split_id: int) -> Split:
    return Split.objects.select_for_update().get(pk=split_id)
