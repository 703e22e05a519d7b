"""Scheduled transfers: created with the PIN, run by the beat's tasks exactly once per occurrence."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from wallets import tasks
from wallets.models import ScheduledTransfer
from wallets.occurrences import next_occurrence
from wallets.tests.conftest import PIN

pytestmark = pytest.mark.django_db


def _tick() -> int:
    """One beat tick, as production runs it (CELERY_TASK_ALWAYS_EAGER runs each enqueued run inline)."""
    return tasks.enqueue_due_scheduled_transfers.apply().get()


def _move_back(schedule_id: int, by: timedelta) -> None:
    """The schedule as if it had been made `by` earlier: its occurrences come that much sooner."""
    schedule = ScheduledTransfer.objects.get(pk=schedule_id)
    ScheduledTransfer.objects.filter(pk=schedule_id).update(
        execute_at=schedule.execute_at - by,
        next_run_at=schedule.next_run_at - by if schedule.next_run_at else None,
    )


def _schedule(person_from, to_wallet, *, amount=1_000, repeat="none", execute_at=None, pin=PIN):
    execute_at = execute_at or timezone.now() + timedelta(minutes=1)
    body = {
        "from_wallet": person_from.wallet_id,
        "to_wallet": to_wallet,
        "amount": amount,
        "pin": pin,
        "execute_at": execute_at.isoformat(),
        "repeat": repeat,
        "memo": "rent",
    }
    return person_from.post("/api/scheduled-transfers", body)


def test_create_list_and_cancel(person):
    alice = person("alice").open_wallet(deposit=5_000)
    bob = person("bob").open_wallet()
    created = _schedule(alice, bob.wallet_id, repeat="weekly")
    assert created.status_code == 201, created.json()
    schedule = created.json()
    assert schedule["status"] == "active" and schedule["repeat"] == "weekly" and schedule["last_error"] == ""
    assert schedule["next_run_at"] == schedule["execute_at"]
    listed = alice.get(f"/api/wallets/{alice.wallet_id}/scheduled-transfers").json()
    assert [s["id"] for s in listed] == [schedule["id"]]
    assert bob.client.delete(f"/api/scheduled-transfers/{schedule['id']}").status_code == 404
    assert alice.client.delete(f"/api/scheduled-transfers/{schedule['id']}").status_code == 204
    cancelled = alice.get(f"/api/wallets/{alice.wallet_id}/scheduled-transfers").json()[0]
    assert cancelled["status"] == "cancelled" and cancelled["next_run_at"] is None
    _move_back(schedule["id"], timedelta(days=30))
    assert _tick() == 0
    assert bob.balance() == 0


def test_scheduling_needs_the_pin_and_the_right_to_pay(person):
    alice = person("alice").open_wallet(deposit=5_000)
    bob = person("bob").open_wallet()
    wrong = _schedule(alice, bob.wallet_id, pin="0000")
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_pin"
    body = {
        "from_wallet": alice.wallet_id,
        "to_wallet": bob.wallet_id,
        "amount": 100,
        "pin": PIN,
        "execute_at": (timezone.now() + timedelta(hours=1)).isoformat(),
        "repeat": "none",
    }
    stolen = bob.post("/api/scheduled-transfers", body)
    assert stolen.status_code == 403 and stolen.json()["code"] == "forbidden"
    past = _schedule(alice, bob.wallet_id, execute_at=timezone.now() - timedelta(days=1))
    assert past.status_code == 400 and "execute_at" in past.json()["fields"]
    assert alice.get(f"/api/wallets/{alice.wallet_id}/scheduled-transfers").json() == []


def test_beat_tick_runs_a_due_one_off_once(person, settings):
    alice = person("alice").open_wallet(deposit=5_000)
    bob = person("bob").open_wallet()
    schedule = _schedule(alice, bob.wallet_id, amount=1_200, execute_at=timezone.now() + timedelta(seconds=1)).json()
    assert tasks.enqueue_due_scheduled_transfers.apply().get() == 0  # not due yet
    ScheduledTransfer.objects.filter(pk=schedule["id"]).update(
        execute_at=timezone.now() - timedelta(seconds=1), next_run_at=timezone.now() - timedelta(seconds=1)
    )
    run_at = ScheduledTransfer.objects.get(pk=schedule["id"]).next_run_at.isoformat()
    assert tasks.enqueue_due_scheduled_transfers.apply().get() == 1  # CELERY_TASK_ALWAYS_EAGER runs the run task inline
    # The same task delivered again pays nothing.
    assert tasks.run_scheduled_transfer.apply(args=(schedule["id"], run_at)).get() == "skipped"
    assert (alice.balance(), bob.balance()) == (3_800, 1_200)
    done = alice.get(f"/api/wallets/{alice.wallet_id}/scheduled-transfers").json()[0]
    assert done["status"] == "completed" and done["next_run_at"] is None
    entries = bob.get(f"/api/wallets/{bob.wallet_id}/transactions").json()["results"]
    assert (entries[0]["kind"], entries[0]["amount"], entries[0]["memo"]) == ("scheduled", 1_200, "rent")


def test_a_failed_run_is_recorded_and_the_next_one_still_scheduled(person):
    alice = person("alice").open_wallet(deposit=1_500)
    bob = person("bob").open_wallet()
    schedule = _schedule(alice, bob.wallet_id, amount=1_000, repeat="daily").json()
    _move_back(schedule["id"], timedelta(days=2, minutes=2))  # three occurrences are due
    first = ScheduledTransfer.objects.get(pk=schedule["id"]).execute_at
    assert (_tick(), _tick()) == (1, 1)  # one occurrence per schedule and tick
    state = alice.get(f"/api/wallets/{alice.wallet_id}/scheduled-transfers").json()[0]
    assert state["status"] == "active"
    assert state["last_error"] == "The wallet does not hold enough money for this."
    assert datetime.fromisoformat(state["next_run_at"]) == first + timedelta(days=2)
    runs = ScheduledTransfer.objects.get(pk=schedule["id"]).runs.order_by("run_at")
    assert [(run.status, run.transfer_id is not None) for run in runs] == [("ok", True), ("failed", False)]
    alice.post(f"/api/wallets/{alice.wallet_id}/deposit", {"amount": 600})
    assert (_tick(), _tick()) == (1, 0)  # the third, then nothing until tomorrow
    assert bob.balance() == 2_000
    assert alice.get(f"/api/wallets/{alice.wallet_id}/scheduled-transfers").json()[0]["last_error"] == ""


def test_monthly_runs_keep_the_day_clamped_to_short_months():
    anchor = datetime(2027, 1, 31, 9, 30, tzinfo=UTC)
    runs, previous = [], anchor
    for _ in range(4):
        previous = next_occurrence(repeat="monthly", previous=previous, anchor=anchor)
        runs.append(previous.date().isoformat())
    assert runs == ["2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"]
    december = datetime(2027, 12, 15, tzinfo=UTC)
    assert next_occurrence(repeat="monthly", previous=december, anchor=december) == datetime(2028, 1, 15, tzinfo=UTC)
    assert next_occurrence(repeat="weekly", previous=anchor, anchor=anchor) == anchor + timedelta(weeks=1)
    assert next_occurrence(repeat="none", previous=anchor, anchor=anchor) is None


def test_monthly_runs_follow_the_schedulers_calendar_not_utcs():
    seoul = ZoneInfo("Asia/Seoul")
    anchor = datetime(2027, 1, 31, 8, 0, tzinfo=seoul)  # 23:00 on the 30th in UTC
    runs, previous = [], anchor
    for _ in range(4):
        previous = next_occurrence(repeat="monthly", previous=previous, anchor=anchor, time_zone="Asia/Seoul")
        runs.append(previous.astimezone(seoul).isoformat())
    assert runs == [
        "2027-02-28T08:00:00+09:00",
        "2027-03-31T08:00:00+09:00",
        "2027-04-30T08:00:00+09:00",
        "2027-05-31T08:00:00+09:00",
    ]
    # A weekly run keeps its hour on the clock across a daylight-saving change (New York, 2027-03-14).
    new_york = ZoneInfo("America/New_York")
    saturday = datetime(2027, 3, 13, 9, 0, tzinfo=new_york)
    weekly = next_occurrence(repeat="weekly", previous=saturday, anchor=saturday, time_zone="America/New_York")
    assert weekly.astimezone(new_york).isoformat() == "2027-03-20T09:00:00-04:00"


def test_a_monthly_schedule_runs_on_the_schedulers_day_of_month(person):
    alice = person("alice").open_wallet(deposit=5_000)
    bob = person("bob").open_wallet()
    created = _schedule(alice, bob.wallet_id, repeat="monthly")
    assert created.status_code == 201 and created.json()["time_zone"] == "Asia/Seoul"  # the default user's
    seoul = ZoneInfo("Asia/Seoul")
    past_31st = datetime(2026, 1, 31, 8, 0, tzinfo=seoul)
    ScheduledTransfer.objects.filter(pk=created.json()["id"]).update(execute_at=past_31st, next_run_at=past_31st)
    assert _tick() == 1 and bob.balance() == 1_000
    listed = alice.get(f"/api/wallets/{alice.wallet_id}/scheduled-transfers").json()[0]
    assert datetime.fromisoformat(listed["next_run_at"]).astimezone(seoul).isoformat() == "2026-02-28T08:00:00+09:00"


@pytest.mark.parametrize(
    ("execute_at", "field_error"),
    [
        ("2030-01-01T00:00:00", "Give the time with its time zone, for example 2027-01-31T08:00:00+09:00."),
        ("9999-12-31T23:00:00+00:00", "At most ten years ahead."),
        (
            "2027-01-01T00:00:00+25:00",  # no such offset: a 500 before
            "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
        ),
    ],
)
def test_a_first_run_needs_its_time_zone_and_a_date_within_ten_years(person, execute_at, field_error):
    alice = person("alice").open_wallet(deposit=5_000)
    bob = person("bob").open_wallet()
    body = {"from_wallet": alice.wallet_id, "to_wallet": bob.wallet_id, "amount": 100, "pin": PIN}
    response = alice.post("/api/scheduled-transfers", {**body, "execute_at": execute_at, "repeat": "monthly"})
    assert response.status_code == 400 and response.json()["fields"] == {"execute_at": [field_error]}
    assert ScheduledTransfer.objects.count() == 0


def test_a_schedule_into_my_wallet_is_listed_as_incoming_with_its_sender(person):
    alice = person("alice").open_wallet(deposit=5_000)
    bob = person("bob").open_wallet()
    schedule = _schedule(alice, bob.wallet_id, repeat="monthly").json()
    assert schedule["direction"] == "outgoing"

    (incoming,) = bob.get(f"/api/wallets/{bob.wallet_id}/scheduled-transfers").json()
    assert incoming["id"] == schedule["id"]
    assert incoming["direction"] == "incoming"
    assert incoming["sender"] == {"id": alice.user.pk, "username": "alice"}
    (outgoing,) = alice.get(f"/api/wallets/{alice.wallet_id}/scheduled-transfers").json()
    assert outgoing["direction"] == "outgoing" and outgoing["sender"]["username"] == "alice"
