"""Scheduled transfers: authorised with the PIN once, each occurrence paid exactly once by the beat's tasks."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.api.errors import DomainError, Forbidden, NotFound
from core.web.locale import user_language, user_time_zone
from wallets import metrics, selectors
from wallets.locks import lock_schedule
from wallets.models import ApprovalRequest, ScheduledTransfer, ScheduledTransferRun, Transfer
from wallets.occurrences import next_occurrence
from wallets.services.movements import Order, check_order, money_move, pin_guarded

# How far in the past a new schedule's first run may be (it then runs at the next tick).
SCHEDULE_PAST_TOLERANCE = timedelta(minutes=5)


def scheduled_transfer_create(
    *, actor, source_id: int, target_id: int, amount: int, pin: str, execute_at: datetime, repeat: str, memo: str = ""
) -> ScheduledTransfer:
    """The PIN authorises every future run; each run checks the balance and the rules again."""
    if execute_at < timezone.now() - SCHEDULE_PAST_TOLERANCE:
        raise DomainError(
            _("The first run cannot be in the past."), fields={"execute_at": [_("Choose a future time.")]}
        )
    order = Order(kind=Transfer.Kind.SCHEDULED, actor=actor, amount=amount, source_id=source_id, target_id=target_id)
    check_order(
        order=order,
        source=selectors.wallet_get(wallet_id=source_id),
        target=selectors.wallet_get(wallet_id=target_id),
    )

    def create(wallets) -> ScheduledTransfer:
        return ScheduledTransfer.objects.create(
            from_wallet_id=source_id,
            to_wallet_id=target_id,
            amount=amount,
            memo=memo,
            created_by=actor,
            execute_at=execute_at,
            repeat=repeat,
            time_zone=user_time_zone(actor),
            next_run_at=execute_at,
        )

    return pin_guarded(user=actor, pin=pin, work=create)


@transaction.atomic
def scheduled_transfer_cancel(*, actor, schedule_id: int) -> None:
    schedule = lock_schedule(schedule_id)
    if schedule is None or not selectors.wallet_can_view(user=actor, wallet=schedule.from_wallet):
        raise NotFound(_("Scheduled transfer not found."))
    if actor.pk not in (schedule.created_by_id, schedule.from_wallet.owner_id):
        raise Forbidden(_("Only the person who scheduled it or the wallet's owner can cancel it."))
    if schedule.status == ScheduledTransfer.Status.ACTIVE:
        schedule.status = ScheduledTransfer.Status.CANCELLED
        schedule.next_run_at = None
        schedule.save(update_fields=["status", "next_run_at"])


def scheduled_transfer_run(*, schedule_id: int, run_at: datetime) -> ScheduledTransferRun | None:
    """Runs one occurrence, exactly once; returns None when it is not due (any more).

    The schedule row is locked first, then the wallets (wallets.locks). Two executors racing on
    the same occurrence: the second waits, then finds next_run_at moved on; a duplicated task
    finds the same. The unique (schedule, run_at) row is the last guard: inserting it twice
    rolls the whole transaction back, payment included. The rules are those at run time; above
    the group wallet's approval threshold the occurrence waits for its approvals.
    """
    with transaction.atomic():
        schedule = lock_schedule(schedule_id)
        if schedule is None or schedule.status != ScheduledTransfer.Status.ACTIVE or schedule.next_run_at != run_at:
            return None
        run = ScheduledTransferRun.objects.create(
            schedule=schedule, run_at=run_at, status=ScheduledTransferRun.Status.OK
        )
        order = Order(
            kind=Transfer.Kind.SCHEDULED,
            actor=schedule.created_by,
            amount=schedule.amount,
            source_id=schedule.from_wallet_id,
            target_id=schedule.to_wallet_id,
            memo=schedule.memo,
        )
        # A failed run's reason is kept for the person who scheduled it, in their language.
        with translation.override(user_language(schedule.created_by)):
            try:
                outcome = money_move(order=order)
            except DomainError as error:
                run.status, run.error = ScheduledTransferRun.Status.FAILED, error.detail[:200]
            else:
                if isinstance(outcome, ApprovalRequest):
                    run.status, run.approval = ScheduledTransferRun.Status.PENDING_APPROVAL, outcome
                else:
                    run.transfer = outcome
        run.save(update_fields=["status", "error", "transfer", "approval"])
        schedule.last_error = run.error
        schedule.next_run_at = next_occurrence(
            repeat=schedule.repeat, previous=run_at, anchor=schedule.execute_at, time_zone=schedule.time_zone
        )
        if schedule.next_run_at is None:
            schedule.status = ScheduledTransfer.Status.COMPLETED
        schedule.save(update_fields=["last_error", "next_run_at", "status"])
    metrics.scheduled_runs.labels(outcome=run.status).inc()
    return run


def scheduled_transfers_due(*, now: datetime | None = None) -> list[tuple[int, datetime]]:
    """(schedule id, occurrence) for every active schedule whose next run has come."""
    now = now or timezone.now()
    return list(
        ScheduledTransfer.objects.filter(status=ScheduledTransfer.Status.ACTIVE, next_run_at__lte=now)
        .order_by("next_run_at", "pk")
        .values_list("pk", "next_run_at")
    )
