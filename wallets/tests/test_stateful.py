"""Hypothesis drives random sequences of wallet operations through the REST API and checks
every answer, balance and ledger invariant against a small in-memory model after each step."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from wallets import ledger, tasks
from wallets.models import ScheduledTransfer
from wallets.tests.conftest import PIN, Person

pytestmark = pytest.mark.django_db

NAMES = ("ann", "ben", "cho")
amounts = st.integers(min_value=1, max_value=6_000)
picks = st.integers(min_value=0, max_value=1_000)  # an index into whatever list the rule chooses from


class WalletModel(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        run = uuid.uuid4().hex[:6]
        self.people = {name: Person(f"{name}-{run}") for name in NAMES}
        self.channel = self.people["ann"].post("/api/channels", {"name": f"model {run}"}).json()["id"]
        for name in NAMES[1:]:
            assert self.people[name].post(f"/api/channels/{self.channel}/join").status_code == 200
        self.balances: dict[int, int] = {}  # wallet id -> balance
        self.keeper: dict[int, str] = {}  # wallet id -> who may move money out of it
        self.personal: dict[str, int] = {}  # name -> personal wallet id
        self.group_members: dict[int, set[str]] = {}
        self.schedules: list[tuple[int, int, int, int]] = []  # (id, from, to, amount), in run order
        self.dues: dict[int, tuple[int, int, set[str], set[str]]] = {}  # id -> (group wallet, amount, asked, paid)
        self.money_in = 0
        self.money_out = 0

    # --- helpers -------------------------------------------------------------------------

    def _pick(self, items, index):
        items = sorted(items)
        return items[index % len(items)]

    def _move(self, source: int, target: int | None, amount: int) -> bool:
        if self.balances[source] < amount:
            return False
        self.balances[source] -= amount
        if target is not None:
            self.balances[target] += amount
        return True

    def _expect(self, response, moved: bool, ok_status: int):
        expected = ok_status if moved else 422
        assert response.status_code == expected, response.json()
        if not moved:
            assert response.json()["code"] == "insufficient_funds"

    # --- rules ---------------------------------------------------------------------------

    @rule(name=st.sampled_from(NAMES))
    def open_wallet(self, name):
        response = self.people[name].post("/api/wallets", {"pin": PIN})
        if name in self.personal:
            assert response.status_code == 409
            return
        assert response.status_code == 201
        wallet_id = response.json()["id"]
        self.personal[name], self.balances[wallet_id], self.keeper[wallet_id] = wallet_id, 0, name
        self.people[name].wallet_id = wallet_id

    @precondition(lambda self: len(self.group_members) < 2)
    @rule(name=st.sampled_from(NAMES))
    def create_group_wallet(self, name):
        response = self.people[name].post(f"/api/channels/{self.channel}/group-wallets", {"name": f"fund of {name}"})
        assert response.status_code == 201
        wallet_id = response.json()["id"]
        self.balances[wallet_id], self.keeper[wallet_id], self.group_members[wallet_id] = 0, name, {name}

    @precondition(lambda self: self.group_members)
    @rule(name=st.sampled_from(NAMES), pick=picks)
    def join_group_wallet(self, name, pick):
        wallet_id = self._pick(self.group_members, pick)
        assert self.people[name].post(f"/api/wallets/{wallet_id}/join").status_code == 200
        self.group_members[wallet_id].add(name)

    @precondition(lambda self: self.personal)
    @rule(pick=picks, amount=amounts)
    def deposit(self, pick, amount):
        name = self._pick(self.personal, pick)
        response = self.people[name].post(f"/api/wallets/{self.personal[name]}/deposit", {"amount": amount})
        assert response.status_code == 200
        self.balances[self.personal[name]] += amount
        self.money_in += amount

    @precondition(lambda self: self.personal or self.group_members)
    @rule(pick=picks, amount=amounts)
    def withdraw(self, pick, amount):
        wallet_id = self._pick(self.balances, pick)
        keeper = self.people[self.keeper[wallet_id]]
        if keeper.wallet_id is None:  # a treasurer without a personal wallet has no PIN to give
            return
        response = keeper.post(f"/api/wallets/{wallet_id}/withdraw", {"amount": amount, "pin": PIN})
        moved = self._move(wallet_id, None, amount)
        self._expect(response, moved, 200)
        self.money_out += amount if moved else 0

    @precondition(lambda self: len(self.balances) >= 2)
    @rule(source_pick=picks, target_pick=picks, amount=amounts)
    def transfer(self, source_pick, target_pick, amount):
        source = self._pick(self.balances, source_pick)
        target = self._pick(set(self.balances) - {source}, target_pick)
        keeper = self.people[self.keeper[source]]
        if keeper.wallet_id is None:
            return
        response = keeper.transfer(target, amount, from_wallet=source)
        self._expect(response, self._move(source, target, amount), 201)

    @precondition(lambda self: len(self.personal) >= 2)
    @rule(source_pick=picks, target_pick=picks, amount=amounts)
    def schedule(self, source_pick, target_pick, amount):
        name = self._pick(self.personal, source_pick)
        source = self.personal[name]
        target = self._pick(set(self.balances) - {source}, target_pick)
        body = {
            "from_wallet": source,
            "to_wallet": target,
            "amount": amount,
            "pin": PIN,
            "execute_at": (timezone.now() + timedelta(minutes=1)).isoformat(),
            "repeat": "none",
        }
        response = self.people[name].post("/api/scheduled-transfers", body)
        assert response.status_code == 201
        self.schedules.append((response.json()["id"], source, target, amount))

    @precondition(lambda self: self.schedules)
    @rule(pick=picks)
    def cancel(self, pick):
        schedule = self.schedules[pick % len(self.schedules)]
        keeper = self.people[self.keeper[schedule[1]]]
        assert keeper.client.delete(f"/api/scheduled-transfers/{schedule[0]}").status_code == 204
        self.schedules.remove(schedule)

    @rule()
    def run_due_schedules(self):
        # Their time comes, and the beat's tick runs them (the task production runs).
        ScheduledTransfer.objects.filter(status=ScheduledTransfer.Status.ACTIVE).update(
            execute_at=timezone.now() - timedelta(seconds=1), next_run_at=timezone.now() - timedelta(seconds=1)
        )
        tasks.enqueue_due_scheduled_transfers.apply().get()
        for _, source, target, amount in self.schedules:
            self._move(source, target, amount)
        self.schedules = []

    @precondition(lambda self: self.group_members)
    @rule(pick=picks, amount=amounts)
    def request_dues(self, pick, amount):
        wallet_id = self._pick(self.group_members, pick)
        treasurer = self.people[self.keeper[wallet_id]]
        response = treasurer.post(f"/api/wallets/{wallet_id}/dues", {"title": "dues", "amount": amount})
        assert response.status_code == 201
        self.dues[response.json()["id"]] = (wallet_id, amount, set(self.group_members[wallet_id]), set())

    @precondition(lambda self: self.dues)
    @rule(pick=picks, name=st.sampled_from(NAMES))
    def pay_dues(self, pick, name):
        dues_id = self._pick(self.dues, pick)
        wallet_id, amount, asked, paid = self.dues[dues_id]
        response = self.people[name].post(f"/api/dues/{dues_id}/pay", {"pin": PIN})
        if name not in asked or name not in self.personal:
            assert response.status_code == 403 and response.json()["code"] == "forbidden"
        elif name in paid:
            assert response.status_code == 409 and response.json()["code"] == "already_paid"
        else:
            moved = self._move(self.personal[name], wallet_id, amount)
            self._expect(response, moved, 201)
            if moved:
                paid.add(name)

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def balances_match_the_model(self):
        anyone = self.people["ann"]
        for wallet_id, balance in self.balances.items():
            viewer = self.people[self.keeper[wallet_id]] if wallet_id in self.personal.values() else anyone
            assert viewer.balance(wallet_id) == balance

    @invariant()
    def money_only_enters_and_leaves_through_deposit_and_withdraw(self):
        assert sum(self.balances.values()) == self.money_in - self.money_out
        assert all(balance >= 0 for balance in self.balances.values())

    @invariant()
    def ledger_holds(self):
        assert ledger.ledger_violations() == []


def test_random_operation_sequences_keep_every_invariant():
    run_state_machine_as_test(
        WalletModel,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
