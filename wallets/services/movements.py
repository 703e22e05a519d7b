"""The one way money moves: the PIN check, the ordered row locks, the posting, the events on commit.

Top-ups, transfers, withdrawals, scheduled runs, dues payments and transfers released by their
last approval all call money_move; writes that need a PIN but move no money (scheduling, a
rejection, a treasurer handover) call pin_guarded, its first half.

1. The rules, on rows read without locks: a refused request costs no PIN hash and no lock.
2. The PIN hashed (slow on purpose) before any lock is taken.
3. One transaction: the caller's own row first (its Claim: a PaymentClaim for a dues payment or
   a split's share, an approval request),
   then every wallet involved, the PIN's wallet included, with one query in primary-key order
   (wallets.locks); the PIN's outcome recorded; the rules again on the locked rows (the wallet
   may have been handed to another treasurer meanwhile); the approval policy; one Transfer and
   its two ledger legs.
4. Clients hear of it through the outbox, written in the same transaction (chat/outbox.py).
A wrong PIN is raised only after its transaction committed, so every wrong try counts.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_app.selectors import channel_is_member
from core.api.errors import DomainError, Forbidden
from wallets import metrics, notifications, pins, selectors
from wallets.errors import AlreadyPaid, BalanceLimit, InsufficientFunds
from wallets.locks import lock_wallets
from wallets.models import (
    ApprovalPolicy,
    ApprovalRequest,
    DuesPayment,
    LedgerEntry,
    SplitShare,
    Transfer,
    Wallet,
)

T = TypeVar("T")
# Under BigInteger's 9.2 * 10**18, so no balance ever overflows its column.
MAX_BALANCE = 10**18


@dataclass(frozen=True)
class Order:
    """`amount` from `source_id` to `target_id` (None: the outside world), initiated by `actor`."""

    kind: str
    actor: Any
    amount: int
    source_id: int | None = None
    target_id: int | None = None
    memo: str = ""
    # Released by its approvals: the approval policy is not asked again.
    approved: bool = False


class Claim(Protocol):
    """The row a movement belongs to (a dues payment, an approval request)."""

    def lock(self) -> None:
        """Locks and checks the row, before any wallet; raises a DomainError to refuse."""

    def ready(self) -> bool:
        """Whether the money moves now (an approval that is not the last one only counts)."""

    def settle(self, transfer: Transfer | None) -> None:
        """Records the outcome under the same locks (transfer is None when no money moved)."""


class PaymentClaim:
    """One person's part of a request to pay (a dues payment, a bill split's share): the row is
    locked before the wallets and refused once paid, so each part is paid once. `paid` announces
    the payment (called with `transfer=`), under the same locks."""

    def __init__(self, row: DuesPayment | SplitShare, *, lock: Callable[[int], Any], paid: Callable[[Transfer], None]):
        self.row, self._lock, self._paid = row, lock, paid

    def lock(self) -> None:
        self.row = self._lock(self.row.pk)
        if self.row.paid_at is not None:
            raise AlreadyPaid()

    def ready(self) -> bool:
        return True

    def settle(self, transfer: Transfer | None) -> None:
        self.row.transfer, self.row.paid_at = transfer, timezone.now()
        self.row.save(update_fields=["transfer", "paid_at"])
        self._paid(transfer=transfer)


@dataclass(frozen=True)
class _PinProof:
    wallet_id: int
    matches: bool


def check_order(*, order: Order, source: Wallet | None, target: Wallet | None) -> None:
    """Who may move money out of `source` and into `target`; raises the refusal."""
    actor = order.actor
    if source is None:
        if target.is_group:  # money enters from outside only through a personal wallet
            raise Forbidden(
                _("A group wallet cannot be topped up from outside: send money to it from a personal wallet.")
            )
        if target.owner_id != actor.pk:
            raise Forbidden(_("Only the owner can top up a personal wallet."))
        return
    if source.owner_id != actor.pk:
        if source.is_group:
            raise Forbidden(_("Only the treasurer can move money out of a group wallet."))
        raise Forbidden(_("Only the owner can move money out of this wallet."))
    if target is None:
        return
    if source.pk == target.pk:
        raise DomainError(_("A wallet cannot pay itself."), fields={"to_wallet": [_("Choose another wallet.")]})
    if source.currency != target.currency:
        raise DomainError(_("Both wallets must hold the same currency."))
    if target.is_group and not channel_is_member(user=actor, channel_id=target.channel_id):
        raise Forbidden(_("Only members of the channel can pay into its group wallets."))


def _pin_proof(*, user, pin: str) -> _PinProof:
    """The PIN of the user's personal wallet, checked before any lock (the hash is slow on purpose)."""
    wallet = selectors.wallet_personal(user=user)
    if wallet is None:
        raise Forbidden(_("Open your personal wallet first: its PIN authorises payments."))
    return _PinProof(wallet_id=wallet.pk, matches=pins.pin_matches(wallet=wallet, pin=pin))


def _run_locked(
    *,
    wallet_ids: Iterable[int | None],
    proof: _PinProof | None,
    first: Callable[[], None] | None,
    work: Callable[[dict[int, Wallet]], T],
) -> T:
    with transaction.atomic():
        if first is not None:
            first()
        wallets = lock_wallets([*wallet_ids, proof.wallet_id if proof else None])
        refusal = pins.pin_settle(wallet=wallets[proof.wallet_id], matches=proof.matches) if proof else None
        if refusal is None:
            result = work(wallets)
    if refusal is not None:
        raise refusal  # after the block: the wrong attempt stays counted
    return result


def pin_guarded(
    *,
    user,
    pin: str,
    work: Callable[[dict[int, Wallet]], T],
    wallet_ids: Iterable[int] = (),
    first: Callable[[], None] | None = None,
) -> T:
    """Runs `work` on the locked `wallet_ids` once the user's PIN is right (see the module's steps)."""
    return _run_locked(wallet_ids=wallet_ids, proof=_pin_proof(user=user, pin=pin), first=first, work=work)


def money_move(
    *, order: Order, pin: str | None = None, pin_holder=None, claim: Claim | None = None
) -> Transfer | ApprovalRequest | None:
    """Moves the money and returns its Transfer; or returns the ApprovalRequest it opened, when the
    source's approval policy asks for approvals; or None when the claim only counted (not ready).

    `pin` is the PIN of `pin_holder`'s personal wallet (the actor's unless given); None when the
    movement was authorised before (a top-up, a schedule created with the PIN, an approved request).
    """
    with metrics.observe_movement(order.kind) as observed:
        check_order(order=order, source=_wallet_or_none(order.source_id), target=_wallet_or_none(order.target_id))
        proof = _pin_proof(user=pin_holder or order.actor, pin=pin) if pin is not None else None

        def move(wallets: dict[int, Wallet]) -> Transfer | ApprovalRequest | None:
            if claim is not None and not claim.ready():
                claim.settle(None)
                observed.outcome = "pending_approval"
                return None
            source, target = wallets.get(order.source_id), wallets.get(order.target_id)
            check_order(order=order, source=source, target=target)  # the rules at this moment
            if source is not None and source.balance < order.amount:
                raise InsufficientFunds()
            if target is not None and target.balance + order.amount > MAX_BALANCE:
                raise BalanceLimit()
            policy = _policy_asking(order=order, source=source)
            if policy is not None:
                observed.outcome = "pending_approval"
                return _approval_request_open(order=order, policy=policy)
            transfer = _post(order=order, source=source, target=target)
            if claim is not None:
                claim.settle(transfer)
            if target is not None:
                notifications.notify_transfer_received(transfer=transfer, target=target, sender=order.actor)
            if any(wallet is not None and wallet.is_group for wallet in (source, target)):
                notifications.notify_group_wallet_activity(transfer_id=transfer.pk)
            return transfer

        return _run_locked(
            wallet_ids=[order.source_id, order.target_id],
            proof=proof,
            first=claim.lock if claim is not None else None,
            work=move,
        )


def _wallet_or_none(wallet_id: int | None) -> Wallet | None:
    return selectors.wallet_get(wallet_id=wallet_id) if wallet_id is not None else None


def _post(*, order: Order, source: Wallet | None, target: Wallet | None) -> Transfer:
    """Writes the transfer, its two ledger legs and the new balances, under the wallets' locks."""
    transfer = Transfer.objects.create(
        kind=order.kind,
        from_wallet=source,
        to_wallet=target,
        amount=order.amount,
        memo=order.memo,
        initiated_by=order.actor,
    )
    legs = []
    for wallet, signed in ((source, -order.amount), (target, order.amount)):
        if wallet is not None:
            wallet.balance += signed
        legs.append(
            LedgerEntry(
                transfer=transfer, wallet=wallet, amount=signed, balance_after=wallet.balance if wallet else None
            )
        )
    LedgerEntry.objects.bulk_create(legs)
    Wallet.objects.bulk_update([wallet for wallet in (source, target) if wallet is not None], ["balance"])
    return transfer


_WINDOWS = {ApprovalPolicy.Window.DAY: timedelta(days=1), ApprovalPolicy.Window.WEEK: timedelta(days=7)}


def _policy_asking(*, order: Order, source: Wallet | None) -> ApprovalPolicy | None:
    """The source's approval policy when it covers this order: the order, plus what left the
    wallet without approval in the policy's window, passes the threshold. Read under the source's
    lock, which a policy change and every other movement out of it take too, so neither a policy
    being set nor two transfers racing each other slip under it."""
    if order.approved or source is None or not source.is_group:
        return None
    policy = ApprovalPolicy.objects.filter(wallet=source).first()
    if policy is None:
        return None
    window = _WINDOWS.get(policy.window)
    spent = selectors.wallet_spent_unapproved(wallet=source, since=timezone.now() - window) if window else 0
    return policy if order.amount + spent > policy.threshold else None


def _approval_request_open(*, order: Order, policy: ApprovalPolicy) -> ApprovalRequest:
    request = ApprovalRequest.objects.create(
        kind=order.kind,
        from_wallet_id=order.source_id,
        to_wallet_id=order.target_id,
        amount=order.amount,
        memo=order.memo,
        requested_by=order.actor,
        required=policy.required,
    )
    request.approvers.set(policy.approvers.all())
    notifications.notify_approval_requested(request_id=request.pk)
    return request
