"""Celery entry points for wallets: scheduled transfers, recurring dues, reminders, the ledger check."""

import time
from datetime import date, datetime

from celery import shared_task

from wallets import ledger, metrics, notifications
from wallets.services import dues, schedules


@shared_task(name="wallets.enqueue_due_scheduled_transfers")
def enqueue_due_scheduled_transfers() -> int:
    """The beat tick: one task per due occurrence (each is guarded, so duplicates are harmless).

    One occurrence per schedule and tick: a schedule behind by several catches up one per tick.
    """
    due = schedules.scheduled_transfers_due()
    for schedule_id, run_at in due:
        run_scheduled_transfer.delay(schedule_id, run_at.isoformat())
    return len(due)


@shared_task(name="wallets.run_scheduled_transfer", acks_late=True)
def run_scheduled_transfer(schedule_id: int, run_at: str) -> str:
    run = schedules.scheduled_transfer_run(schedule_id=schedule_id, run_at=datetime.fromisoformat(run_at))
    return run.status if run else "skipped"


@shared_task(name="wallets.enqueue_due_recurring_dues")
def enqueue_due_recurring_dues() -> int:
    """The beat tick for recurring dues: one task per period whose request should be out by now."""
    due = dues.recurring_dues_due()
    for recurring_id, due_date in due:
        create_recurring_dues.delay(recurring_id, due_date.isoformat())
    return len(due)


@shared_task(name="wallets.create_recurring_dues", acks_late=True)
def create_recurring_dues(recurring_id: int, due_date: str) -> int | None:
    created = dues.recurring_dues_run(recurring_id=recurring_id, due_date=date.fromisoformat(due_date))
    return created.pk if created else None


@shared_task(
    name="wallets.send_dues_reminder",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def send_dues_reminder(dues_id: int, user_ids: list[int], reminded_at: str, language: str = "") -> int:
    """Reminders queued by an earlier release (services now announce them through chat/outbox.py);
    retried when the chat is briefly out of reach; the post's name keeps it single."""
    hour = int(datetime.fromisoformat(reminded_at).timestamp()) // 3600
    notifications.notify_dues_reminder(dues_id=dues_id, user_ids=user_ids, reminded_hour=hour, language=language)
    return len(user_ids)


@shared_task(name="wallets.check_ledger")
def check_ledger() -> int:
    problems = ledger.ledger_violations()
    metrics.ledger_violations.set(len(problems))
    metrics.ledger_last_check.set(time.time())
    return len(problems)
