"""Money under concurrency: real threads, each with its own PostgreSQL connection, through the REST API."""

import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from channels_app.services import channel_create, channel_join
from wallets import ledger, tasks
from wallets.models import ApprovalRequest, ScheduledTransfer, ScheduledTransferRun, Transfer, Wallet
from wallets.services import approvals, schedules, transfers
from wallets.services import wallets as wallet_services
from wallets.tests.conftest import PIN

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(function):
    """Runs `function` and closes the thread's own database connection after it."""

    def run(*args):
        try:
            return function(*args)
        finally:
            connection.close()

    return run


@_in_thread
def _post(user, path: str, body: dict, headers: dict | None = None) -> tuple[int, dict, float]:
    client = APIClient()
    client.force_authenticate(user)
    started = time.perf_counter()
    response = client.post(path, body, format="json", headers=headers or {})
    return response.status_code, response.json(), time.perf_counter() - started


def _total_money() -> int:
    return Wallet.objects.aggregate(total=Sum("balance"))["total"]


def _money_world(people: int, groups: int, deposit: int):
    """People with funded personal wallets, all in one channel, and group wallets kept by the first ones."""
    users = [UserFactory() for _ in range(people)]
    channel = channel_create(owner=users[0], name="storm")
    wallets = []
    for user in users:
        channel_join(user=user, channel=channel)
        wallet = wallet_services.personal_wallet_open(owner=user, pin=PIN)
        transfers.wallet_deposit(actor=user, wallet_id=wallet.pk, amount=deposit)
        wallets.append((wallet.pk, user))
    for index in range(groups):
        treasurer = users[index]
        group = wallet_services.group_wallet_create(owner=treasurer, channel_id=channel.pk, name=f"fund {index}")
        wallets.append((group.pk, treasurer))
    return wallets


def test_a_storm_of_transfers_conserves_money_and_never_overdraws():
    wallets = _money_world(people=7, groups=3, deposit=10_000)
    money_before = _total_money()
    rng = random.Random(7)
    requests = []
    for _ in range(1_000):
        (source, owner), (target, _) = rng.sample(wallets, 2)
        # Many amounts above what any wallet can hold at that moment.
        amount = rng.choice([rng.randint(1, 3_000), rng.randint(5_000, 40_000)])
        requests.append(
            (owner, "/api/transfers", {"from_wallet": source, "to_wallet": target, "amount": amount, "pin": PIN})
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda request: _post(*request), requests))
    elapsed = time.perf_counter() - started

    statuses = [status for status, _, _ in results]
    assert set(statuses) <= {201, 422}, {status: body for status, body, _ in results if status not in (201, 422)}
    assert statuses.count(201) > 100 and statuses.count(422) > 100
    assert {body["code"] for status, body, _ in results if status == 422} == {"insufficient_funds"}
    assert Transfer.objects.filter(kind="transfer").count() == statuses.count(201)
    assert _total_money() == money_before
    assert not Wallet.objects.filter(balance__lt=0).exists()
    assert ledger.ledger_violations() == []
    latencies = sorted(latency for _, _, latency in results)
    print(
        f"\nstorm: {len(results)} transfers in {elapsed:.1f}s = {len(results) / elapsed:.0f}/s, "
        f"{statuses.count(201)} ok, {statuses.count(422)} insufficient_funds, "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {latencies[int(0.99 * len(latencies))] * 1000:.0f} ms"
    )


def test_opposite_transfers_at_once_do_not_deadlock():
    (a, alice), (b, bob) = _money_world(people=2, groups=0, deposit=100_000)
    barrier = threading.Barrier(50)

    @_in_thread
    def transfer(index: int):
        source, target, owner = (a, b, alice) if index % 2 else (b, a, bob)
        barrier.wait()
        client = APIClient()
        client.force_authenticate(owner)
        body = {"from_wallet": source, "to_wallet": target, "amount": 10 + index, "pin": PIN}
        return client.post("/api/transfers", body, format="json").status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(transfer, range(50)))

    assert statuses == [201] * 50
    moved_to_b = sum(10 + i for i in range(50) if i % 2)
    moved_to_a = sum(10 + i for i in range(50) if not i % 2)
    assert Wallet.objects.get(pk=a).balance == 100_000 - moved_to_b + moved_to_a
    assert Wallet.objects.get(pk=b).balance == 100_000 + moved_to_b - moved_to_a
    assert ledger.ledger_violations() == []


def test_one_idempotency_key_sent_ten_times_at_once_makes_one_transfer():
    (a, alice), (b, _) = _money_world(people=2, groups=0, deposit=1_000)
    barrier = threading.Barrier(10)
    body = {"from_wallet": a, "to_wallet": b, "amount": 250, "pin": PIN}

    def send(_):
        barrier.wait()
        return _post(alice, "/api/transfers", body, {"Idempotency-Key": "rent-2026-11"})

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(send, range(10)))

    assert [status for status, _, _ in results] == [201] * 10
    assert len({str(body) for _, body, _ in results}) == 1
    assert Transfer.objects.filter(kind="transfer").count() == 1
    assert Wallet.objects.get(pk=b).balance == 1_000 + 250
    conflict = _post(alice, "/api/transfers", {**body, "amount": 251}, {"Idempotency-Key": "rent-2026-11"})
    assert conflict[0] == 409 and conflict[1]["code"] == "idempotency_conflict"


def test_two_executors_pay_each_scheduled_occurrence_exactly_once():
    """Two workers run the beat's tick at the same time, round after round, as two beats (or a tick
    delivered twice) would: every occurrence is paid once, missed ones are caught up one per tick."""
    wallets = _money_world(people=4, groups=0, deposit=1_000_000)
    created = []
    for index, ((source, owner), (target, _)) in enumerate(zip(wallets, wallets[1:] + wallets[:1], strict=True)):
        created.append(
            schedules.scheduled_transfer_create(
                actor=owner,
                source_id=source,
                target_id=target,
                amount=100 + index,
                pin=PIN,
                execute_at=timezone.now() + timedelta(seconds=30),
                repeat="daily" if index % 2 else "none",
            )
        )
    # As if made three days ago: daily schedules owe four occurrences each, one-offs one.
    first_run = timezone.now() - timedelta(days=3, seconds=30)
    ScheduledTransfer.objects.update(execute_at=first_run, next_run_at=first_run)
    rounds = 6
    barrier = threading.Barrier(2, timeout=60)
    # get(disable_sync_subtasks=False): an eager .delay() (the tick's) flips a process-wide Celery flag
    # while it runs, which another thread's get() would take for a task waiting on a task.

    @_in_thread
    def worker(_):
        enqueued = 0
        for _ in range(rounds):
            barrier.wait()
            enqueued += tasks.enqueue_due_scheduled_transfers.apply().get(disable_sync_subtasks=False)
        return enqueued

    with ThreadPoolExecutor(max_workers=2) as pool:
        enqueued = list(pool.map(worker, range(2)))

    expected_runs = sum(4 if schedule.repeat == "daily" else 1 for schedule in created)
    assert sum(enqueued) >= expected_runs  # many occurrences were handed to both workers
    assert ScheduledTransferRun.objects.filter(status="ok").count() == expected_runs
    assert Transfer.objects.filter(kind="scheduled").count() == expected_runs
    for schedule in created:
        occurrences = list(
            ScheduledTransferRun.objects.filter(schedule=schedule).order_by("run_at").values_list("run_at", flat=True)
        )
        expected = [first_run + timedelta(days=day) for day in range(4 if schedule.repeat == "daily" else 1)]
        assert occurrences == expected
    assert ledger.ledger_violations() == []
    print(f"\nschedules: {expected_runs} occurrences paid once, {sum(enqueued)} enqueued by two racing ticks")


def test_one_occurrence_delivered_twice_at_once_pays_once():
    (source, owner), (target, _) = _money_world(people=2, groups=0, deposit=10_000)
    schedule = schedules.scheduled_transfer_create(
        actor=owner,
        source_id=source,
        target_id=target,
        amount=700,
        pin=PIN,
        execute_at=timezone.now() + timedelta(seconds=30),
        repeat="weekly",
    )
    run_at = timezone.now() - timedelta(seconds=1)
    ScheduledTransfer.objects.filter(pk=schedule.pk).update(execute_at=run_at, next_run_at=run_at)
    barrier = threading.Barrier(8, timeout=60)

    @_in_thread
    def deliver(_):
        barrier.wait()
        return tasks.run_scheduled_transfer.apply(args=(schedule.pk, run_at.isoformat())).get(
            disable_sync_subtasks=False
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = sorted(pool.map(deliver, range(8)))

    assert outcomes == ["ok"] + ["skipped"] * 7
    assert Wallet.objects.get(pk=target).balance == 10_000 + 700
    assert ScheduledTransfer.objects.get(pk=schedule.pk).next_run_at == run_at + timedelta(weeks=1)
    assert ledger.ledger_violations() == []


def _at_once(*calls):
    """Runs the calls in threads released at the same moment; their results in order."""
    barrier = threading.Barrier(len(calls), timeout=60)

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _after(delay: float, function, *args):
    time.sleep(delay)
    return function(*args)


def _guarded_group(*, approvers: int, balance: int, threshold: int, required: int):
    """A funded group wallet whose policy needs `required` of `approvers` approvals above `threshold`."""
    wallets = _money_world(people=approvers + 1, groups=1, deposit=balance)
    (group, treasurer), (treasurer_wallet, _) = wallets[-1], wallets[0]
    transfers.wallet_transfer(actor=treasurer, source_id=treasurer_wallet, target_id=group, amount=balance, pin=PIN)
    approver_users = [user for _, user in wallets[1 : approvers + 1]]
    approvals.approval_policy_set(
        actor=treasurer,
        wallet_id=group,
        threshold=threshold,
        approver_ids=[user.pk for user in approver_users],
        required=required,
    )
    return group, treasurer, treasurer_wallet, approver_users


def test_racing_approvals_move_each_transfer_exactly_once():
    group, treasurer, target, approver_users = _guarded_group(approvers=5, balance=1_000_000, threshold=100, required=2)
    requests = [
        transfers.wallet_transfer(actor=treasurer, source_id=group, target_id=target, amount=1_000 + i, pin=PIN)
        for i in range(20)
    ]
    jobs = [(request.pk, user) for request in requests for user in approver_users]
    random.Random(3).shuffle(jobs)

    def approve(job):
        request_id, user = job
        return _post(user, f"/api/approvals/{request_id}/approve", {"pin": PIN})

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(approve, jobs))

    statuses = [status for status, _, _ in results]
    assert set(statuses) <= {200, 409}, [body for status, body, _ in results if status not in (200, 409)]
    assert statuses.count(200) == 2 * len(requests)  # two approvals count per request, the later ones find it done
    moved = Transfer.objects.filter(from_wallet_id=group, kind="transfer")
    assert sorted(moved.values_list("amount", flat=True)) == [1_000 + i for i in range(20)]
    assert all(ApprovalRequest.objects.get(pk=r.pk).approvals.count() == 2 for r in requests)
    assert Wallet.objects.get(pk=group).balance == 1_000_000 - sum(1_000 + i for i in range(20))
    assert ledger.ledger_violations() == []
    print(f"\napprovals: {len(jobs)} racing approvals of {len(requests)} transfers, each moved once")


def test_the_last_approval_racing_a_balance_change_never_overdraws():
    rounds, outcomes = 20, {"approval": 0, "withdrawal": 0}
    for round_number in range(rounds):
        # The approval does more work before it locks, so it is given a head start in a third of the
        # rounds (both orders happen), none in another third, and the withdrawal one in the rest.
        head_start = [0.03, 0.0, -0.03][round_number % 3]
        group, treasurer, target, (first, second) = _guarded_group(
            approvers=2, balance=20_000, threshold=10_000, required=2
        )
        request = transfers.wallet_transfer(actor=treasurer, source_id=group, target_id=target, amount=15_000, pin=PIN)
        approvals.approval_approve(actor=first, request_id=request.pk, pin=PIN)
        approval, withdrawal = _at_once(
            partial(_after, max(0.0, -head_start), _post, second, f"/api/approvals/{request.pk}/approve", {"pin": PIN}),
            partial(
                _after,
                max(0.0, head_start),
                _post,
                treasurer,
                f"/api/wallets/{group}/withdraw",
                {"amount": 10_000, "pin": PIN},
            ),
        )
        results = {"approval": approval[:2], "withdrawal": withdrawal[:2]}

        winners = [side for side, (status, _) in results.items() if status == 200]
        assert len(winners) == 1, results
        loser = "withdrawal" if winners[0] == "approval" else "approval"
        assert results[loser][0] == 422 and results[loser][1]["code"] == "insufficient_funds"
        outcomes[winners[0]] += 1
        state = ApprovalRequest.objects.get(pk=request.pk)
        expected = {"approval": ("completed", 5_000), "withdrawal": ("pending_approval", 10_000)}[winners[0]]
        assert (state.status, Wallet.objects.get(pk=group).balance) == expected
    assert ledger.ledger_violations() == []
    print(f"\napproval vs withdrawal over {rounds} rounds: {outcomes}")


def test_an_approval_racing_a_rejection_has_one_outcome():
    rounds, outcomes = 15, {"completed": 0, "rejected": 0}
    for _ in range(rounds):
        group, treasurer, target, (first, second, third) = _guarded_group(
            approvers=3, balance=50_000, threshold=0, required=2
        )
        request = transfers.wallet_transfer(actor=treasurer, source_id=group, target_id=target, amount=7_000, pin=PIN)
        approvals.approval_approve(actor=first, request_id=request.pk, pin=PIN)
        statuses = sorted(
            status
            for status, _, _ in _at_once(
                partial(_post, second, f"/api/approvals/{request.pk}/approve", {"pin": PIN}),
                partial(_post, third, f"/api/approvals/{request.pk}/reject", {"pin": PIN}),
            )
        )

        assert statuses == [200, 409]
        state = ApprovalRequest.objects.get(pk=request.pk)
        outcomes[state.status] += 1
        moved = Transfer.objects.filter(from_wallet_id=group).count()
        assert (state.status, moved, Wallet.objects.get(pk=group).balance) in {
            ("completed", 1, 43_000),
            ("rejected", 0, 50_000),
        }
    assert ledger.ledger_violations() == []
    print(f"\napproval vs rejection over {rounds} rounds: {outcomes}")


def test_racing_withdrawals_under_the_threshold_cannot_all_slip_under_its_window():
    """As tried (45 x 1,000 won against a threshold of 1,000), now all at once from 12 threads:
    what left the wallet is counted under its lock, so exactly one moves and the rest wait."""
    group, treasurer, _target, _approvers = _guarded_group(approvers=2, balance=45_000, threshold=1_000, required=1)

    def withdraw(_):
        return _post(treasurer, f"/api/wallets/{group}/withdraw", {"amount": 1_000, "pin": PIN})

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = sorted(status for status, _, _ in pool.map(withdraw, range(45)))

    assert statuses == [200] + [202] * 44
    assert Wallet.objects.get(pk=group).balance == 44_000
    assert ApprovalRequest.objects.filter(from_wallet_id=group, status="pending_approval").count() == 44
    assert ledger.ledger_violations() == []


@_in_thread
def _leave(user, channel_id: int) -> int:
    client = APIClient()
    client.force_authenticate(user)
    return client.post(f"/api/channels/{channel_id}/leave").status_code


def test_an_approval_racing_its_approvers_leave_counts_only_if_it_came_first():
    """The approver's yes and their leaving the channel, at once: the leave always goes through; the
    money moves only when the yes came first (its approval is recorded with the transfer), never
    from a yes that committed after its approver was gone."""
    rounds, outcomes = 10, {"completed": 0, "pending_approval": 0}
    for round_ in range(rounds):
        group, treasurer, target, (first, _second) = _guarded_group(
            approvers=2, balance=50_000, threshold=0, required=1
        )
        channel_id = Wallet.objects.get(pk=group).channel_id
        request = transfers.wallet_transfer(actor=treasurer, source_id=group, target_id=target, amount=7_000, pin=PIN)
        approved, left = _at_once(
            partial(_post, first, f"/api/approvals/{request.pk}/approve", {"pin": PIN}),
            # The yes hashes a PIN first (slow on purpose): the leave comes at points across it.
            partial(_after, round_ * 0.03, _leave, first, channel_id),
        )
        assert left == 204 and approved[0] in {200, 403, 404}, (approved, left)
        state = ApprovalRequest.objects.get(pk=request.pk)
        outcomes[state.status] += 1
        assert (approved[0] == 200) == (state.status == "completed") == state.approvals.filter(user=first).exists()
        expected = 43_000 if state.status == "completed" else 50_000
        assert Wallet.objects.get(pk=group).balance == expected
    assert ledger.ledger_violations() == []
    print(f"\napproval vs the approver's leave over {rounds} rounds: {outcomes}")
