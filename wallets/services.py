"""Every wallet rule and every money movement.

One money movement is one transaction: the wallets are locked with one query in
primary-key order (wallets.locks), the balance is checked, one Transfer and its two
LedgerEntry rows are written and the cached balances updated. A PIN is hashed before any
lock is taken and its outcome recorded under the lock. Clients hear of a movement only
after it commits (transaction.on_commit).
"""

from datetime import date, datetime, timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from channels_app.selectors import channel_for_member, channel_is_member
from config.errors import Conflict, DomainError, Forbidden, NotFound
from wallets import metrics, notifications, pins, selectors
from wallets.errors import AlreadyPaid, InsufficientFunds
from wallets.locks import lock_wallets
from wallets.models import (
    Dues,
    DuesPayment,
    GroupWalletMember,
    LedgerEntry,
    ScheduledTransfer,
    ScheduledTransferRun,
    Transfer,
    Wallet,
)
from wallets.occurrences import next_occurrence

# How far in the past a new schedule's first run may be (it then runs at the next tick).
SCHEDULE_PAST_TOLERANCE = timedelta(minutes=5)


# --- opening and joining wallets ---------------------------------------------------------


def personal_wallet_open(*, owner, pin: str) -> Wallet:
    if not pins.PIN_PATTERN.match(pin):
        raise DomainError("A PIN is 4 to 6 digits.", fields={"pin": ["A PIN is 4 to 6 digits."]})
    try:
        with transaction.atomic():
            return Wallet.objects.create(
                kind=Wallet.Kind.PERSONAL, owner=owner, name=f"{owner.username}'s wallet", pin_hash=pins.pin_hash(pin)
            )
    except IntegrityError:
        raise Conflict("You already have a personal wallet.") from None


@transaction.atomic
def group_wallet_create(*, owner, channel_id: int, name: str, description: str = "") -> Wallet:
    """The creator becomes the wallet's treasurer and first member."""
    channel = channel_for_member(user=owner, channel_id=channel_id)
    wallet = Wallet.objects.create(
        kind=Wallet.Kind.GROUP, owner=owner, channel=channel, name=name, description=description
    )
    GroupWalletMember.objects.create(wallet=wallet, user=owner)
    return wallet


def group_wallet_join(*, user, wallet: Wallet) -> Wallet:
    """Joining twice is fine."""
    if not wallet.is_group:
        raise DomainError("Only group wallets can be joined.")
    if not channel_is_member(user=user, channel_id=wallet.channel_id):
        raise Forbidden("Join the channel first.")
    GroupWalletMember.objects.get_or_create(wallet=wallet, user=user)
    return wallet


# --- the one way money moves -------------------------------------------------------------


def _post_transfer(
    *, kind: str, source: Wallet | None, target: Wallet | None, amount: int, memo: str, actor
) -> Transfer:
    """Writes the transfer, its two ledger legs and the new balances.

    Must run under the row locks of source and target (wallets.locks); None is the outside world.
    """
    if source is not None and source.balance < amount:
        raise InsufficientFunds()
    transfer = Transfer.objects.create(
        kind=kind, from_wallet=source, to_wallet=target, amount=amount, memo=memo, initiated_by=actor
    )
    legs = []
    for wallet, signed in ((source, -amount), (target, amount)):
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


def _pin_wallet_for_outgoing(*, actor, source: Wallet) -> Wallet:
    """Checks the actor may move money out of `source`; returns the wallet whose PIN that takes.

    A personal wallet: its owner, with its PIN. A group wallet: its treasurer, with the PIN
    of the treasurer's own personal wallet.
    """
    if source.owner_id != actor.pk:
        if source.is_group:
            raise Forbidden("Only the treasurer can move money out of a group wallet.")
        raise Forbidden("Only the owner can move money out of this wallet.")
    if not source.is_group:
        return source
    personal = selectors.wallet_personal(user=actor)
    if personal is None:
        raise Forbidden("Open your personal wallet first: its PIN authorises the group wallet's payments.")
    return personal


def _check_can_pay_into(*, actor, source: Wallet, target: Wallet) -> None:
    if source.pk == target.pk:
        raise DomainError("A wallet cannot pay itself.", fields={"to_wallet": ["Choose another wallet."]})
    if source.currency != target.currency:
        raise DomainError("Both wallets must hold the same currency.")
    if target.is_group and not channel_is_member(user=actor, channel_id=target.channel_id):
        raise Forbidden("Only members of the channel can pay into its group wallets.")


def _move_with_pin(
    *, kind: str, actor, source: Wallet, target: Wallet | None, pin_wallet: Wallet, pin: str, amount: int, memo: str
) -> Transfer:
    matches = pins.pin_matches(wallet=pin_wallet, pin=pin)  # slow: before any lock
    with transaction.atomic():
        locked = lock_wallets([source.pk, target.pk if target else None, pin_wallet.pk])
        refusal = pins.pin_settle(wallet=locked[pin_wallet.pk], matches=matches)
        if refusal is None:
            transfer = _post_transfer(
                kind=kind,
                source=locked[source.pk],
                target=locked[target.pk] if target else None,
                amount=amount,
                memo=memo,
                actor=actor,
            )
            if target is not None:
                transaction.on_commit(
                    partial(notifications.notify_transfer_received, transfer=transfer, target=target, sender=actor)
                )
    if refusal is not None:
        raise refusal  # after the block: the wrong attempt stays counted
    return transfer


def wallet_transfer(*, actor, source_id: int, target_id: int, amount: int, pin: str, memo: str = "") -> Transfer:
    with metrics.observe_movement(Transfer.Kind.TRANSFER):
        source = selectors.wallet_get(wallet_id=source_id)
        target = selectors.wallet_get(wallet_id=target_id)
        pin_wallet = _pin_wallet_for_outgoing(actor=actor, source=source)
        _check_can_pay_into(actor=actor, source=source, target=target)
        return _move_with_pin(
            kind=Transfer.Kind.TRANSFER,
            actor=actor,
            source=source,
            target=target,
            pin_wallet=pin_wallet,
            pin=pin,
            amount=amount,
            memo=memo,
        )


def wallet_withdraw(*, actor, wallet_id: int, amount: int, pin: str) -> Wallet:
    """Money out to the outside world."""
    with metrics.observe_movement(Transfer.Kind.WITHDRAW):
        source = selectors.wallet_get(wallet_id=wallet_id)
        pin_wallet = _pin_wallet_for_outgoing(actor=actor, source=source)
        _move_with_pin(
            kind=Transfer.Kind.WITHDRAW,
            actor=actor,
            source=source,
            target=None,
            pin_wallet=pin_wallet,
            pin=pin,
            amount=amount,
            memo="Withdrawal",
        )
    return selectors.wallet_for_viewer(user=actor, wallet_id=wallet_id)


def wallet_deposit(*, actor, wallet_id: int, amount: int) -> Wallet:
    """Money in from the outside world (a top-up): the personal wallet's owner only."""
    with metrics.observe_movement(Transfer.Kind.DEPOSIT):
        wallet = selectors.wallet_get(wallet_id=wallet_id)
        if wallet.is_group or wallet.owner_id != actor.pk:
            raise Forbidden("Only the owner can top up a personal wallet.")
        with transaction.atomic():
            locked = lock_wallets([wallet.pk])
            _post_transfer(
                kind=Transfer.Kind.DEPOSIT,
                source=None,
                target=locked[wallet.pk],
                amount=amount,
                memo="Top-up",
                actor=actor,
            )
    return selectors.wallet_for_viewer(user=actor, wallet_id=wallet_id)


# --- scheduled transfers -----------------------------------------------------------------


def scheduled_transfer_create(
    *, actor, source_id: int, target_id: int, amount: int, pin: str, execute_at: datetime, repeat: str, memo: str = ""
) -> ScheduledTransfer:
    """The PIN authorises every future run; each run checks the balance and the rules again."""
    if execute_at < timezone.now() - SCHEDULE_PAST_TOLERANCE:
        raise DomainError("The first run cannot be in the past.", fields={"execute_at": ["Choose a future time."]})
    source = selectors.wallet_get(wallet_id=source_id)
    target = selectors.wallet_get(wallet_id=target_id)
    pin_wallet = _pin_wallet_for_outgoing(actor=actor, source=source)
    _check_can_pay_into(actor=actor, source=source, target=target)
    matches = pins.pin_matches(wallet=pin_wallet, pin=pin)
    with transaction.atomic():
        refusal = pins.pin_settle(wallet=lock_wallets([pin_wallet.pk])[pin_wallet.pk], matches=matches)
        if refusal is None:
            schedule = ScheduledTransfer.objects.create(
                from_wallet=source,
                to_wallet=target,
                amount=amount,
                memo=memo,
                created_by=actor,
                execute_at=execute_at,
                repeat=repeat,
                next_run_at=execute_at,
            )
    if refusal is not None:
        raise refusal
    return schedule


@transaction.atomic
def scheduled_transfer_cancel(*, actor, schedule_id: int) -> None:
    schedule = (
        ScheduledTransfer.objects.select_for_update().select_related("from_wallet").filter(pk=schedule_id).first()
    )
    if schedule is None or not selectors.wallet_can_view(user=actor, wallet=schedule.from_wallet):
        raise NotFound("Scheduled transfer not found.")
    if actor.pk not in (schedule.created_by_id, schedule.from_wallet.owner_id):
        raise Forbidden("Only the person who scheduled it or the wallet's owner can cancel it.")
    if schedule.status == ScheduledTransfer.Status.ACTIVE:
        schedule.status = ScheduledTransfer.Status.CANCELLED
        schedule.next_run_at = None
        schedule.save(update_fields=["status", "next_run_at"])


def scheduled_transfer_run(*, schedule_id: int, run_at: datetime) -> ScheduledTransferRun | None:
    """Runs one occurrence, exactly once; returns None when it is not due (any more).

    The schedule row is locked first, then the wallets (the fixed order). Two executors
    racing on the same occurrence: the second waits, then finds next_run_at moved on;
    a duplicated task finds the same. The unique (schedule, run_at) row is the last guard:
    inserting it twice rolls the whole transaction back, payment included.
    """
    with transaction.atomic():
        schedule = ScheduledTransfer.objects.select_for_update().filter(pk=schedule_id).first()
        if schedule is None or schedule.status != ScheduledTransfer.Status.ACTIVE or schedule.next_run_at != run_at:
            return None
        run = ScheduledTransferRun.objects.create(
            schedule=schedule, run_at=run_at, status=ScheduledTransferRun.Status.OK
        )
        try:
            with transaction.atomic(), metrics.observe_movement(Transfer.Kind.SCHEDULED):
                run.transfer = _run_schedule_payment(schedule)
        except DomainError as error:
            run.status, run.error = ScheduledTransferRun.Status.FAILED, error.detail[:200]
        run.save(update_fields=["status", "error", "transfer"])
        schedule.last_error = run.error
        schedule.next_run_at = next_occurrence(repeat=schedule.repeat, previous=run_at, anchor=schedule.execute_at)
        if schedule.next_run_at is None:
            schedule.status = ScheduledTransfer.Status.COMPLETED
        schedule.save(update_fields=["last_error", "next_run_at", "status"])
    metrics.scheduled_runs.labels(outcome=run.status).inc()
    return run


def _run_schedule_payment(schedule: ScheduledTransfer) -> Transfer:
    """The rules as they stand at run time: the creator must still be allowed to pay."""
    actor = schedule.created_by
    source = selectors.wallet_get(wallet_id=schedule.from_wallet_id)
    target = selectors.wallet_get(wallet_id=schedule.to_wallet_id)
    _pin_wallet_for_outgoing(actor=actor, source=source)
    _check_can_pay_into(actor=actor, source=source, target=target)
    locked = lock_wallets([source.pk, target.pk])
    transfer = _post_transfer(
        kind=Transfer.Kind.SCHEDULED,
        source=locked[source.pk],
        target=locked[target.pk],
        amount=schedule.amount,
        memo=schedule.memo,
        actor=actor,
    )
    transaction.on_commit(
        partial(notifications.notify_transfer_received, transfer=transfer, target=target, sender=actor)
    )
    return transfer


def scheduled_transfers_due(*, now: datetime | None = None) -> list[tuple[int, datetime]]:
    """(schedule id, occurrence) for every active schedule whose next run has come."""
    now = now or timezone.now()
    return list(
        ScheduledTransfer.objects.filter(status=ScheduledTransfer.Status.ACTIVE, next_run_at__lte=now)
        .order_by("next_run_at", "pk")
        .values_list("pk", "next_run_at")
    )


def scheduled_transfers_run_due(*, now: datetime | None = None) -> int:
    """Runs every due occurrence, catching up on missed ones; returns how many this caller ran.

    Safe to call from several executors at once (see scheduled_transfer_run).
    """
    now = now or timezone.now()
    ran = 0
    for schedule_id, run_at in scheduled_transfers_due(now=now):
        while run_at is not None and run_at <= now:
            if scheduled_transfer_run(schedule_id=schedule_id, run_at=run_at) is not None:
                ran += 1
            run_at = (
                ScheduledTransfer.objects.filter(pk=schedule_id, status=ScheduledTransfer.Status.ACTIVE)
                .values_list("next_run_at", flat=True)
                .first()
            )
    return ran


# --- dues ----------------------------------------------------------------------------------


def dues_create(*, actor, wallet_id: int, title: str, amount: int, due_date: date | None = None) -> Dues:
    """Asks every member of the group wallet to pay; the channel hears of it after commit."""
    wallet = selectors.wallet_get(wallet_id=wallet_id)
    if not wallet.is_group or wallet.owner_id != actor.pk:
        raise Forbidden("Only the treasurer of a group wallet can request dues.")
    with transaction.atomic():
        dues = Dues.objects.create(wallet=wallet, title=title, amount=amount, due_date=due_date, created_by=actor)
        DuesPayment.objects.bulk_create(
            DuesPayment(dues=dues, user_id=user_id) for user_id in selectors.wallet_member_user_ids(wallet=wallet)
        )
        transaction.on_commit(partial(notifications.notify_dues_requested, dues_id=dues.pk, treasurer=actor))
    return dues


def dues_pay(*, actor, dues_id: int, pin: str) -> Transfer:
    """From the payer's personal wallet into the group wallet; once per member."""
    with metrics.observe_movement(Transfer.Kind.DUES):
        dues = selectors.dues_for_viewer(user=actor, dues_id=dues_id)
        payment = DuesPayment.objects.filter(dues=dues, user=actor).first()
        if payment is None:
            raise Forbidden("You were not asked to pay these dues.")
        source = selectors.wallet_personal(user=actor)
        if source is None:
            raise Forbidden("Open your personal wallet first.")
        matches = pins.pin_matches(wallet=source, pin=pin)
        with transaction.atomic():
            payment = DuesPayment.objects.select_for_update().get(pk=payment.pk)  # the payment row, then wallets
            if payment.transfer_id is not None:
                raise AlreadyPaid()
            locked = lock_wallets([source.pk, dues.wallet_id])
            refusal = pins.pin_settle(wallet=locked[source.pk], matches=matches)
            if refusal is None:
                transfer = _post_transfer(
                    kind=Transfer.Kind.DUES,
                    source=locked[source.pk],
                    target=locked[dues.wallet_id],
                    amount=dues.amount,
                    memo=dues.title,
                    actor=actor,
                )
                payment.transfer, payment.paid_at = transfer, timezone.now()
                payment.save(update_fields=["transfer", "paid_at"])
                transaction.on_commit(
                    partial(notifications.notify_dues_paid, dues=dues, payer=actor, transfer=transfer)
                )
        if refusal is not None:
            raise refusal
        return transfer
