"""The two-person rule: money out of a group wallet above its threshold waits for approvals."""

from datetime import timedelta

import pytest
from django.utils import timezone

from wallets import ledger, tasks
from wallets.models import ScheduledTransfer, Transfer
from wallets.tests.conftest import PIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def guarded_club(club, person):
    """The club with two more members who approve, a funded group wallet and a policy: above 10,000, two of three."""
    treasurer, group, channel = club["treasurer"], club["group"], club["channel"]
    approvers = [club["member"]]
    for name in ("ana", "ben"):
        someone = person(name).open_wallet(deposit=1_000)
        assert someone.post(f"/api/channels/{channel}/join").status_code == 200
        approvers.append(someone)
    assert treasurer.transfer(group, 60_000).status_code == 201
    policy = treasurer.post(
        f"/api/wallets/{group}/approval-policy",
        # Each transfer on its own: these tests are about one request at a time (the windows: below).
        {"threshold": 10_000, "window": "transfer", "approvers": [a.user.pk for a in approvers], "required": 2},
    )
    assert policy.status_code == 200, policy.json()
    return {**club, "approvers": approvers}


def _ask(club, amount=25_000, **headers):
    treasurer = club["treasurer"]
    return treasurer.transfer(club["member"].wallet_id, amount, from_wallet=club["group"], memo="hall rent", **headers)


def test_a_policy_is_shown_to_members_and_set_by_the_treasurer_only(guarded_club):
    group, member = guarded_club["group"], guarded_club["member"]
    policy = member.get(f"/api/wallets/{group}/approval-policy").json()
    assert (policy["threshold"], policy["required"]) == (10_000, 2)
    assert sorted(a["username"] for a in policy["approvers"]) == ["ana", "ben", "member"]
    refused = member.post(f"/api/wallets/{group}/approval-policy", {"threshold": 0, "approvers": [], "required": 0})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


@pytest.mark.parametrize(
    ("change", "field"),
    [({"required": 4}, "required"), ({"required": 0}, "required"), ({"approvers": "self"}, "approvers")],
)
def test_a_policy_that_cannot_work_is_refused(guarded_club, person, change, field):
    treasurer = guarded_club["treasurer"]
    approvers = [a.user.pk for a in guarded_club["approvers"]]
    body = {"threshold": 1_000, "approvers": approvers, "required": 2, **change}
    if body["approvers"] == "self":
        body["approvers"] = [*approvers, treasurer.user.pk]
    response = treasurer.post(f"/api/wallets/{guarded_club['group']}/approval-policy", body)
    assert response.status_code == 400 and field in response.json()["fields"]


def test_an_approver_must_be_in_the_channel(guarded_club, person):
    stranger = person("stranger")
    body = {"threshold": 1_000, "approvers": [stranger.user.pk], "required": 1}
    response = guarded_club["treasurer"].post(f"/api/wallets/{guarded_club['group']}/approval-policy", body)
    assert response.status_code == 400 and "approvers" in response.json()["fields"]


def test_money_out_up_to_the_threshold_moves_at_once(guarded_club):
    assert _ask(guarded_club, amount=10_000).status_code == 201
    assert guarded_club["treasurer"].balance(guarded_club["group"]) == 50_000


def test_above_the_threshold_it_waits_then_the_last_approval_moves_it_once(guarded_club):
    member, ana, ben = guarded_club["approvers"]
    group, treasurer = guarded_club["group"], guarded_club["treasurer"]
    asked = _ask(guarded_club)
    assert asked.status_code == 202, asked.json()
    pending = asked.json()
    assert (pending["status"], pending["approvals"], pending["required"]) == ("pending_approval", [], 2)
    assert (pending["transfer"]["amount"], pending["transfer"]["memo"]) == (25_000, "hall rent")
    assert treasurer.balance(group) == 60_000  # nothing moved yet

    listed = ana.get("/api/approvals").json()
    assert [item["id"] for item in listed] == [pending["id"]]
    assert treasurer.get("/api/approvals").json()[0]["id"] == pending["id"]

    first = ana.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN})
    assert first.status_code == 200, first.json()
    assert (first.json()["status"], first.json()["approvals"]) == ("pending_approval", [ana.user.pk])
    again = ana.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN})
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert treasurer.balance(group) == 60_000

    last = ben.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN})
    assert last.status_code == 200, last.json()
    done = last.json()
    assert done["status"] == "completed" and done["transfer_id"] is not None
    assert sorted(done["approvals"]) == sorted([ana.user.pk, ben.user.pk])
    assert treasurer.balance(group) == 35_000 and member.balance() == 50_000 + 25_000
    late = member.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN})
    assert late.status_code == 409
    assert treasurer.balance(group) == 35_000
    entries = member.get(f"/api/wallets/{member.wallet_id}/transactions").json()["results"]
    assert (entries[0]["transfer_id"], entries[0]["amount"], entries[0]["memo"]) == (
        done["transfer_id"],
        25_000,
        "hall rent",
    )
    assert ana.get("/api/approvals").json() == []
    assert ledger.ledger_violations() == []


def test_one_rejection_cancels_it(guarded_club):
    _, ana, ben = guarded_club["approvers"]
    pending = _ask(guarded_club).json()
    assert ana.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN}).status_code == 200
    rejected = ben.post(f"/api/approvals/{pending['id']}/reject", {"pin": PIN})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert rejected.json()["decided_by"]["username"] == "ben"
    after = guarded_club["member"].post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN})
    assert after.status_code == 409
    assert guarded_club["treasurer"].balance(guarded_club["group"]) == 60_000


def test_who_may_approve(guarded_club, person):
    treasurer = guarded_club["treasurer"]
    pending = _ask(guarded_club).json()
    own = treasurer.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN})
    assert own.status_code == 403 and own.json()["code"] == "forbidden"
    stranger = person("stranger").open_wallet()
    assert stranger.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN}).status_code == 404
    assert stranger.get("/api/approvals").json() == []
    wrong = guarded_club["approvers"][1].post(f"/api/approvals/{pending['id']}/approve", {"pin": "0000"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_pin"
    assert guarded_club["approvers"][1].get(f"/api/approvals/{pending['id']}").json()["approvals"] == []


def test_the_treasurer_may_withdraw_the_request(guarded_club):
    pending = _ask(guarded_club).json()
    cancelled = guarded_club["treasurer"].post(f"/api/approvals/{pending['id']}/reject", {"pin": PIN})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "rejected"


def test_the_last_approval_runs_every_usual_check_at_that_moment(guarded_club):
    member, ana, ben = guarded_club["approvers"]
    treasurer, group = guarded_club["treasurer"], guarded_club["group"]
    pending = _ask(guarded_club, amount=50_000).json()
    assert ana.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN}).status_code == 200
    assert treasurer.transfer(member.wallet_id, 10_000, from_wallet=group).status_code == 201  # 50,000 left
    assert treasurer.post(f"/api/wallets/{group}/withdraw", {"amount": 5_000, "pin": PIN}).status_code == 200
    short = ben.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN})
    assert short.status_code == 422 and short.json()["code"] == "insufficient_funds"
    state = ben.get(f"/api/approvals/{pending['id']}").json()
    assert (state["status"], state["approvals"]) == ("pending_approval", [ana.user.pk])  # waits; ben may try again
    member.transfer(group, 5_000)
    assert ben.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN}).json()["status"] == "completed"
    assert treasurer.balance(group) == 0
    assert ledger.ledger_violations() == []


def test_withdrawals_above_the_threshold_wait_too(guarded_club):
    treasurer, group = guarded_club["treasurer"], guarded_club["group"]
    response = treasurer.post(f"/api/wallets/{group}/withdraw", {"amount": 20_000, "pin": PIN})
    assert response.status_code == 202 and response.json()["transfer"]["kind"] == "withdraw"
    for approver in guarded_club["approvers"][1:]:
        approver.post(f"/api/approvals/{response.json()['id']}/approve", {"pin": PIN})
    assert treasurer.balance(group) == 40_000


def test_approvals_take_an_idempotency_key(guarded_club):
    _, ana, _ = guarded_club["approvers"]
    pending = _ask(guarded_club).json()
    first = ana.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN}, **{"Idempotency-Key": "yes-1"})
    replay = ana.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN}, **{"Idempotency-Key": "yes-1"})
    assert first.status_code == replay.status_code == 200 and first.json() == replay.json()
    assert replay["Idempotent-Replayed"] == "true"


def test_the_same_request_sent_twice_opens_one_approval_request(guarded_club):
    first = _ask(guarded_club, **{"Idempotency-Key": "rent"})
    second = _ask(guarded_club, **{"Idempotency-Key": "rent"})
    assert first.status_code == second.status_code == 202 and first.json()["id"] == second.json()["id"]
    assert len(guarded_club["approvers"][1].get("/api/approvals").json()) == 1


def test_a_scheduled_run_above_the_threshold_waits_for_approvals(guarded_club):
    treasurer, group, member = guarded_club["treasurer"], guarded_club["group"], guarded_club["member"]
    body = {
        "from_wallet": group,
        "to_wallet": member.wallet_id,
        "amount": 30_000,
        "pin": PIN,
        "execute_at": (timezone.now() + timedelta(minutes=1)).isoformat(),
        "repeat": "none",
        "memo": "coach",
    }
    schedule = treasurer.post("/api/scheduled-transfers", body).json()
    past = timezone.now() - timedelta(seconds=1)
    ScheduledTransfer.objects.filter(pk=schedule["id"]).update(execute_at=past, next_run_at=past)
    assert tasks.enqueue_due_scheduled_transfers.apply().get() == 1
    assert treasurer.balance(group) == 60_000
    pending = guarded_club["approvers"][1].get("/api/approvals").json()
    assert [(p["transfer"]["kind"], p["transfer"]["amount"]) for p in pending] == [("scheduled", 30_000)]
    for approver in guarded_club["approvers"][1:]:
        approver.post(f"/api/approvals/{pending[0]['id']}/approve", {"pin": PIN})
    assert treasurer.balance(group) == 30_000
    run = ScheduledTransfer.objects.get(pk=schedule["id"]).runs.get()
    assert run.status == "ok" and run.transfer_id is not None


def test_removing_the_policy_is_told_to_the_channel(guarded_club, django_capture_on_commit_callbacks):
    treasurer, group = guarded_club["treasurer"], guarded_club["group"]
    with django_capture_on_commit_callbacks(execute=True):
        response = treasurer.post(
            f"/api/wallets/{group}/approval-policy", {"threshold": 0, "approvers": [], "required": 0}
        )
    assert response.json()["required"] == 0 and response.json()["approvers"] == []
    history = guarded_club["member"].get(f"/api/channels/{guarded_club['channel']}/messages").json()["results"]
    assert history[-1]["body"] == "treasurer removed the approval rule of club fund."
    assert _ask(guarded_club).status_code == 201


def test_a_change_of_the_window_alone_is_told_to_the_channel_in_words(guarded_club, django_capture_on_commit_callbacks):
    """As tried: the rule went from a day's window to each transfer on its own (a looser rule: ten
    transfers of 10,000 a day then move without approval) and the channel read the same sentence as
    before the change."""
    treasurer, member, channel = guarded_club["treasurer"], guarded_club["member"], guarded_club["channel"]
    bodies = []
    for window in ("day", "transfer", "week"):
        with django_capture_on_commit_callbacks(execute=True):
            _rule(guarded_club, threshold=10_000, window=window)
        bodies.append(member.get(f"/api/channels/{channel}/messages").json()["results"][-1]["body"])
    assert bodies[0].endswith("It counts what left the wallet over the last day.")
    assert bodies[1].endswith("Each transfer counts on its own.")
    assert bodies[2].endswith("It counts what left the wallet over the last week.")

    treasurer.client.patch("/api/auth/me", {"language": "ko"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        _rule(guarded_club, threshold=10_000, window="transfer")
    body = member.get(f"/api/channels/{channel}/messages").json()["results"][-1]["body"]
    assert body.endswith("출금마다 따로 셉니다.")


def _rule(club, **body):
    approvers = [a.user.pk for a in club["approvers"]]
    response = club["treasurer"].post(
        f"/api/wallets/{club['group']}/approval-policy", {"approvers": approvers, "required": 1, **body}
    )
    assert response.status_code == 200, response.json()
    return response.json()


def test_splitting_a_sum_into_withdrawals_under_the_threshold_does_not_evade_it(guarded_club):
    """As tried: 45 withdrawals of 1,000 from a wallet whose threshold was 1,000 all went through."""
    treasurer, group = guarded_club["treasurer"], guarded_club["group"]
    assert _rule(guarded_club, threshold=1_000)["window"] == "day"  # the default
    answers = [treasurer.post(f"/api/wallets/{group}/withdraw", {"amount": 1_000, "pin": PIN}) for _ in range(45)]
    assert [answer.status_code for answer in answers] == [200] + [202] * 44
    assert treasurer.balance(group) == 59_000
    assert {answer.json()["status"] for answer in answers[1:]} == {"pending_approval"}


def test_the_window_counts_the_last_day_or_week_and_not_what_approvals_released(guarded_club):
    treasurer, group, member = guarded_club["treasurer"], guarded_club["group"], guarded_club["member"]
    ana = guarded_club["approvers"][1]
    _rule(guarded_club, threshold=10_000, window="week")
    assert treasurer.transfer(member.wallet_id, 8_000, from_wallet=group).status_code == 201
    # Two days later: out of the day's window, still in the week's.
    Transfer.objects.filter(from_wallet_id=group).update(created_at=timezone.now() - timedelta(days=2))
    assert treasurer.transfer(member.wallet_id, 3_000, from_wallet=group).status_code == 202
    _rule(guarded_club, threshold=10_000, window="day")
    assert treasurer.transfer(member.wallet_id, 3_000, from_wallet=group).status_code == 201
    released = treasurer.transfer(member.wallet_id, 9_000, from_wallet=group)
    assert released.status_code == 202
    assert ana.post(f"/api/approvals/{released.json()['id']}/approve", {"pin": PIN}).json()["status"] == "completed"
    # Today: 3,000 without approval and 9,000 released by one; 7,000 more still fits under 10,000.
    assert treasurer.transfer(member.wallet_id, 7_000, from_wallet=group).status_code == 201
    assert treasurer.transfer(member.wallet_id, 1, from_wallet=group).status_code == 202
    _rule(guarded_club, threshold=10_000, window="transfer")
    assert treasurer.transfer(member.wallet_id, 10_000, from_wallet=group).status_code == 201


def test_a_waiting_request_follows_the_policy_in_force(guarded_club, person):
    """As tried: an approver taken off the policy (who had left and rejoined the channel) still
    released a waiting request, and the newly named approver got 404."""
    member, ana, ben = guarded_club["approvers"]
    treasurer, group, channel = guarded_club["treasurer"], guarded_club["group"], guarded_club["channel"]
    carol = person("carol").open_wallet()
    assert carol.post(f"/api/channels/{channel}/join").status_code == 200
    pending = _ask(guarded_club).json()
    assert ana.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN}).status_code == 200
    rule = {"threshold": 10_000, "window": "transfer", "approvers": [member.user.pk, carol.user.pk], "required": 2}
    assert treasurer.post(f"/api/wallets/{group}/approval-policy", rule).status_code == 200
    assert ben.post(f"/api/channels/{channel}/leave").status_code == 204
    assert ben.post(f"/api/channels/{channel}/join").status_code == 200

    refused = ben.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN})
    assert (refused.status_code, refused.json()["code"]) in {(403, "forbidden"), (404, "not_found")}
    assert ben.get("/api/approvals").json() == []
    listed = carol.get("/api/approvals").json()
    assert [(r["id"], r["required"]) for r in listed] == [(pending["id"], 2)]
    assert sorted(a["username"] for a in listed[0]["approvers"]) == ["carol", "member"]
    # ana was taken off too: her approval no longer counts, so carol's alone does not release it.
    assert carol.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN}).json()["status"] == "pending_approval"
    assert treasurer.balance(group) == 60_000
    done = member.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN}).json()
    assert (done["status"], done["required"]) == ("completed", 2)
    assert treasurer.balance(group) == 35_000


def test_an_approval_stops_counting_when_its_approver_is_out_of_the_channel(guarded_club):
    """As tried: ana approved, the owner removed her from the channel, and ben's one approval then
    released the 25,000 with hers: two of three, one of them from someone who is no longer in the club."""
    member, ana, ben = guarded_club["approvers"]
    treasurer, group, channel = guarded_club["treasurer"], guarded_club["group"], guarded_club["channel"]
    pending = _ask(guarded_club).json()
    assert ana.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN}).status_code == 200
    assert treasurer.client.delete(f"/api/channels/{channel}/members/{ana.user.pk}").status_code == 204

    assert ben.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN}).json()["status"] == "pending_approval"
    assert treasurer.balance(group) == 60_000
    assert member.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN}).json()["status"] == "completed"
    assert treasurer.balance(group) == 35_000


def test_a_waiting_request_needs_the_required_count_in_force(guarded_club):
    member, ana, ben = guarded_club["approvers"]
    treasurer, group = guarded_club["treasurer"], guarded_club["group"]
    pending = _ask(guarded_club).json()
    approvers = [a.user.pk for a in guarded_club["approvers"]]
    rule = {"threshold": 10_000, "window": "transfer", "approvers": approvers, "required": 3}
    assert treasurer.post(f"/api/wallets/{group}/approval-policy", rule).status_code == 200
    assert ana.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN}).json()["required"] == 3
    assert ben.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN}).json()["status"] == "pending_approval"
    assert treasurer.post(f"/api/wallets/{group}/approval-policy", {**rule, "required": 1}).status_code == 200
    assert member.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN}).json()["status"] == "completed"
    assert treasurer.balance(group) == 35_000


def _run_a_schedule(club, *, to_wallet: int, amount: int) -> str:
    """The treasurer schedules a payment out of the group wallet and its time comes: the run's status."""
    body = {
        "from_wallet": club["group"],
        "to_wallet": to_wallet,
        "amount": amount,
        "pin": PIN,
        "execute_at": (timezone.now() + timedelta(minutes=1)).isoformat(),
        "repeat": "none",
    }
    schedule = club["treasurer"].post("/api/scheduled-transfers", body)
    assert schedule.status_code == 201, schedule.json()
    past = timezone.now() - timedelta(seconds=1)
    ScheduledTransfer.objects.filter(pk=schedule.json()["id"]).update(execute_at=past, next_run_at=past)
    assert tasks.enqueue_due_scheduled_transfers.apply().get() == 1
    return ScheduledTransfer.objects.get(pk=schedule.json()["id"]).runs.get().status


def test_every_way_money_leaves_the_group_wallet_counts_in_its_window(guarded_club):
    """Withdrawals, transfers to a person or to another wallet of the club, and scheduled runs share
    one day's 10,000: split across the ways out, the sum still waits once it passes the threshold."""
    treasurer, group, member, channel = (guarded_club[k] for k in ("treasurer", "group", "member", "channel"))
    _rule(guarded_club, threshold=10_000)
    other = treasurer.post(f"/api/channels/{channel}/group-wallets", {"name": "trip fund"}).json()["id"]

    assert treasurer.transfer(member.wallet_id, 4_000, from_wallet=group).status_code == 201
    assert treasurer.transfer(other, 2_000, from_wallet=group).status_code == 201
    assert _run_a_schedule(guarded_club, to_wallet=member.wallet_id, amount=3_000) == "ok"
    assert treasurer.post(f"/api/wallets/{group}/withdraw", {"amount": 1_000, "pin": PIN}).status_code == 200
    assert treasurer.balance(group) == 50_000  # 10,000 out today: the threshold, reached without approval

    assert treasurer.post(f"/api/wallets/{group}/withdraw", {"amount": 1, "pin": PIN}).status_code == 202
    assert treasurer.transfer(other, 1, from_wallet=group).status_code == 202
    assert treasurer.transfer(member.wallet_id, 1, from_wallet=group).status_code == 202
    assert _run_a_schedule(guarded_club, to_wallet=other, amount=1) == "pending_approval"
    assert treasurer.balance(group) == 50_000
    kinds = sorted(p["transfer"]["kind"] for p in guarded_club["approvers"][1].get("/api/approvals").json())
    assert kinds == ["scheduled", "transfer", "transfer", "withdraw"]


def test_a_request_waiting_under_a_week_follows_a_change_to_each_transfer_on_its_own(guarded_club):
    """The policy changes from a week's window to each transfer on its own while a request waits: the
    request keeps waiting, for the approvals the new policy asks (nothing is released by the change),
    and what the new window lets through moves at once."""
    member, ana, ben = guarded_club["approvers"]
    treasurer, group = guarded_club["treasurer"], guarded_club["group"]
    _rule(guarded_club, threshold=10_000, window="week")
    assert treasurer.transfer(member.wallet_id, 8_000, from_wallet=group).status_code == 201
    waiting = treasurer.transfer(member.wallet_id, 3_000, from_wallet=group)
    assert waiting.status_code == 202

    assert _rule(guarded_club, threshold=10_000, window="transfer", required=2)["window"] == "transfer"
    state = ana.get(f"/api/approvals/{waiting.json()['id']}").json()
    assert (state["status"], state["required"]) == ("pending_approval", 2)
    assert treasurer.balance(group) == 52_000
    assert treasurer.transfer(member.wallet_id, 3_000, from_wallet=group).status_code == 201  # 3,000 alone passes
    assert ana.post(f"/api/approvals/{waiting.json()['id']}/approve", {"pin": PIN}).json()["status"] == (
        "pending_approval"
    )
    assert ben.post(f"/api/approvals/{waiting.json()['id']}/approve", {"pin": PIN}).json()["status"] == "completed"
    assert treasurer.balance(group) == 46_000
