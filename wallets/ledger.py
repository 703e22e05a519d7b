"""The ledger's invariants (docs/api.md "Money invariants"), checked over the whole database in SQL."""

from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import Coalesce

from wallets.models import LedgerEntry, Transfer, Wallet

_EXTERNAL_KINDS = (Transfer.Kind.DEPOSIT, Transfer.Kind.WITHDRAW)


def _wallet_name(wallet_id: int | None) -> str:
    wallet = Wallet.objects.filter(pk=wallet_id).first()
    return f"wallet #{wallet.pk} ({wallet.name})" if wallet else "the outside world"


def ledger_violations() -> list[str]:
    """Every broken invariant, one line each naming the wallet (empty when the ledger is sound)."""
    problems = [
        f"{_wallet_name(wallet.pk)}: balance {wallet.balance} is below zero"
        for wallet in Wallet.objects.filter(balance__lt=0)
    ]
    with_totals = Wallet.objects.annotate(total=Coalesce(Sum("entries__amount"), 0)).exclude(balance=F("total"))
    problems += [
        f"{_wallet_name(wallet.pk)}: balance {wallet.balance} but its entries sum to {wallet.total}"
        for wallet in with_totals
    ]
    unbalanced = Transfer.objects.annotate(legs=Count("entries"), total=Coalesce(Sum("entries__amount"), 0)).exclude(
        legs=2, total=0
    )
    problems += [
        f"transfer #{t.pk} ({_wallet_name(t.from_wallet_id)} -> {_wallet_name(t.to_wallet_id)}): "
        f"{t.legs} ledger entries summing to {t.total}, not two summing to zero"
        for t in unbalanced
    ]
    wrong_leg = LedgerEntry.objects.exclude(
        Q(amount__lt=0, amount=-F("transfer__amount"), wallet=F("transfer__from_wallet"))
        | Q(amount__lt=0, amount=-F("transfer__amount"), wallet__isnull=True, transfer__from_wallet__isnull=True)
        | Q(amount__gt=0, amount=F("transfer__amount"), wallet=F("transfer__to_wallet"))
        | Q(amount__gt=0, amount=F("transfer__amount"), wallet__isnull=True, transfer__to_wallet__isnull=True)
    )
    problems += [
        f"{_wallet_name(entry.wallet_id)}: entry #{entry.pk} does not match transfer #{entry.transfer_id}"
        for entry in wrong_leg
    ]
    outside = Transfer.objects.filter(Q(from_wallet__isnull=True) | Q(to_wallet__isnull=True)).exclude(
        kind__in=_EXTERNAL_KINDS
    )
    problems += [
        f"transfer #{t.pk} ({_wallet_name(t.from_wallet_id or t.to_wallet_id)}): a {t.kind} moved money to or from outside"
        for t in outside
    ]
    running = LedgerEntry.objects.filter(wallet__isnull=False).annotate(
        running_total=Window(Sum("amount"), partition_by=[F("wallet_id")], order_by=F("id").asc())
    )
    problems += [
        f"{_wallet_name(entry.wallet_id)}: entry #{entry.pk} says balance {entry.balance_after}, "
        f"the entries up to it sum to {entry.running_total}"
        for entry in running.exclude(balance_after=F("running_total"))
    ]
    return problems
