"""Celery entry points for wallets: scheduled transfers and the periodic ledger check."""

import time
from datetime import datetime

from celery import shared_task

from wallets import ledger, metrics, services


@shared_task(name="wallets.enqueue_due_scheduled_transfers")
def enqueue_due_scheduled_transfers() -> int:
    """The beat tick: one task per due occurrence (each is guarded, so duplicates are harmless)."""
    due = services.scheduled_transfers_due()
    for schedule_id, run_at in due:
        run_scheduled_transfer.delay(schedule_id, run_at.isoformat())
    return len(due)


@shared_task(name="wallets.run_scheduled_transfer", acks_late=True)
def run_scheduled_transfer(schedule_id: int, run_at: str) -> str:
    run = services.scheduled_transfer_run(schedule_id=schedule_id, run_at=datetime.fromisoformat(run_at))
    return run.status if run else "skipped"


@shared_task(name="wallets.check_ledger")
def check_ledger() -> int:
    problems = ledger.ledger_violations()
    metrics.ledger_violations.set(len(problems))
    metrics.ledger_last_check.set(time.time())
    return len(problems)
