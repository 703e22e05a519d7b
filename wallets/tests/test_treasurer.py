"""A group wallet changes hands: the treasurer hands it over with their PIN, and cannot leave before."""

from datetime import timedelta

import pytest
from django.utils import timezone

from wallets.tests.conftest import PIN

pytestmark = pytest.mark.django_db


def test_the_treasurer_hands_the_wallet_to_a_member(club, django_capture_on_commit_callbacks):
    treasurer, member, group = club["treasurer"], club["member"], club["group"]
    with django_capture_on_commit_callbacks(execute=True):
        response = treasurer.post(f"/api/wallets/{group}/treasurer", {"user_id": member.user.pk, "pin": PIN})
    assert response.status_code == 200, response.json()
    assert response.json()["owner"]["username"] == "member"
    # The new treasurer moves its money with their own PIN; the old one no longer can.
    assert treasurer.transfer(group, 5_000).status_code == 201
    taken = treasurer.transfer(treasurer.wallet_id, 1_000, from_wallet=group)
    assert taken.status_code == 403 and taken.json()["code"] == "forbidden"
    assert member.transfer(member.wallet_id, 1_000, from_wallet=group).status_code == 201
    history = member.get(f"/api/channels/{club['channel']}/messages").json()["results"]
    assert history[-1]["body"] == "treasurer handed the group wallet club fund to member."


def test_a_handover_needs_the_treasurers_pin_and_a_member_of_the_channel(club, person):
    treasurer, member, group = club["treasurer"], club["member"], club["group"]
    wrong = treasurer.post(f"/api/wallets/{group}/treasurer", {"user_id": member.user.pk, "pin": "0000"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_pin"
    outsider = person("outsider")
    response = treasurer.post(f"/api/wallets/{group}/treasurer", {"user_id": outsider.user.pk, "pin": PIN})
    assert response.status_code == 400 and "user_id" in response.json()["fields"]
    stolen = member.post(f"/api/wallets/{group}/treasurer", {"user_id": member.user.pk, "pin": PIN})
    assert stolen.status_code == 403 and stolen.json()["code"] == "forbidden"
    assert member.get(f"/api/wallets/{group}").json()["owner"]["username"] == "treasurer"


def test_the_treasurer_cannot_leave_until_the_wallet_is_handed_over(club):
    treasurer, member, group, channel = club["treasurer"], club["member"], club["group"], club["channel"]
    # The channel is handed over (its owner stays until then too): the wallet still keeps them.
    assert treasurer.post(f"/api/channels/{channel}/owner", {"user_id": member.user.pk}).status_code == 200
    refused = treasurer.post(f"/api/channels/{channel}/leave")
    assert refused.status_code == 409 and refused.json()["code"] == "conflict"
    assert "hand it to another member" in refused.json()["detail"]
    assert [c["id"] for c in treasurer.get("/api/channels/mine").json()] == [channel]
    treasurer.post(f"/api/wallets/{group}/treasurer", {"user_id": member.user.pk, "pin": PIN})
    assert treasurer.post(f"/api/channels/{channel}/leave").status_code == 204
    assert member.post(f"/api/channels/{channel}/leave").status_code == 409


def test_what_the_old_treasurer_authorised_ends_with_the_handover(club):
    treasurer, member, group = club["treasurer"], club["member"], club["group"]
    assert treasurer.transfer(group, 30_000).status_code == 201
    body = {
        "from_wallet": group,
        "to_wallet": member.wallet_id,
        "amount": 1_000,
        "pin": PIN,
        "execute_at": (timezone.now() + timedelta(days=1)).isoformat(),
        "repeat": "weekly",
    }
    schedule = treasurer.post("/api/scheduled-transfers", body).json()
    handed = treasurer.post(f"/api/wallets/{group}/treasurer", {"user_id": member.user.pk, "pin": PIN})
    assert handed.status_code == 200
    listed = member.get(f"/api/wallets/{group}/scheduled-transfers").json()
    assert [(s["id"], s["status"]) for s in listed] == [(schedule["id"], "cancelled")]


def test_an_approver_cannot_become_the_treasurer(club):
    treasurer, member, group = club["treasurer"], club["member"], club["group"]
    policy = {"threshold": 100, "approvers": [member.user.pk], "required": 1}
    assert treasurer.post(f"/api/wallets/{group}/approval-policy", policy).status_code == 200
    response = treasurer.post(f"/api/wallets/{group}/treasurer", {"user_id": member.user.pk, "pin": PIN})
    assert response.status_code == 409 and response.json()["code"] == "conflict"


def test_a_pending_approval_is_cancelled_by_a_handover(club, person):
    treasurer, member, group, channel = club["treasurer"], club["member"], club["group"], club["channel"]
    ana = person("ana").open_wallet()
    ana.post(f"/api/channels/{channel}/join")
    treasurer.transfer(group, 30_000)
    treasurer.post(
        f"/api/wallets/{group}/approval-policy", {"threshold": 100, "approvers": [ana.user.pk], "required": 1}
    )
    pending = treasurer.transfer(member.wallet_id, 5_000, from_wallet=group).json()
    treasurer.post(f"/api/wallets/{group}/treasurer", {"user_id": member.user.pk, "pin": PIN})
    assert ana.get(f"/api/approvals/{pending['id']}").json()["status"] == "cancelled"
    late = ana.post(f"/api/approvals/{pending['id']}/approve", {"pin": PIN})
    assert late.status_code == 409
    assert member.balance(group) == 30_000
