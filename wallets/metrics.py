"""Wallet metrics on /metrics."""

import time
from contextlib import contextmanager
from types import SimpleNamespace

from prometheus_client import Counter, Gauge, Histogram

from core.api.errors import DomainError

transfers = Counter("wallet_transfers_total", "Money movements by kind and outcome", ["kind", "outcome"])
movement_latency = Histogram(
    "wallet_money_movement_seconds",
    "One money movement in the service, PIN check to commit",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
scheduled_runs = Counter("wallet_scheduled_runs_total", "Scheduled transfer occurrences by outcome", ["outcome"])
ledger_violations = Gauge(
    "wallet_ledger_violations", "Invariant violations found by the last ledger check", multiprocess_mode="mostrecent"
)
ledger_last_check = Gauge(
    "wallet_ledger_last_check_timestamp_seconds", "When the ledger was last checked", multiprocess_mode="mostrecent"
)


def start_alerted_series_at_zero() -> None:
    """Every outcome an alert counts exists at 0 from the process's start (AppConfig.ready): a series
    that first appears at 1 has no increase(), so ScheduledTransfersFailing missed the first failure,
    and again after every worker restart."""
    from wallets.models import ScheduledTransferRun

    for outcome in ScheduledTransferRun.Status.values:
        scheduled_runs.labels(outcome=outcome)


# Error code -> outcome label; any other error is "invalid".
_OUTCOMES = {
    "insufficient_funds": "insufficient_funds",
    "wrong_pin": "wrong_pin",
    "pin_locked": "pin_locked",
    "forbidden": "forbidden",
    "conflict": "conflict",
    "already_paid": "conflict",
    "idempotency_conflict": "conflict",
}


@contextmanager
def observe_movement(kind: str):
    """Counts the movement by outcome (its error code, else what the caller sets, else "ok") and times it."""
    started = time.perf_counter()
    observed = SimpleNamespace(outcome="ok")  # "pending_approval" when the money waits for approvals
    try:
        yield observed
    except DomainError as error:
        transfers.labels(kind=kind, outcome=_OUTCOMES.get(error.code, "invalid")).inc()
        raise
    else:
        transfers.labels(kind=kind, outcome=observed.outcome).inc()
    finally:
        movement_latency.labels(kind=kind).observe(time.perf_counter() - started)
