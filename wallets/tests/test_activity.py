"""The group wallet's activity in its channel (모임통장's 거래내역): money in and out, dues paid,
approvals asked and given, splits settled, each a compact post whose client_msg_id starts with
"sys:activity:" (what the browser's money filter shows)."""

import pytest

from wallets.tests.conftest import PIN

pytestmark = pytest.mark.django_db


def _feed(club) -> list[str]:
    history = club["member"].get(f"/api/channels/{club['channel']}/messages").json()["results"]
    return [m["body"] for m in history if m["client_msg_id"].startswith("sys:activity:")]


def test_money_in_and_out_and_dues_paid_show_in_the_channel(club, django_capture_on_commit_callbacks):
    treasurer, member, group = club["treasurer"], club["member"], club["group"]
    with django_capture_on_commit_callbacks(execute=True):
        dues = treasurer.post(f"/api/wallets/{group}/dues", {"title": "3월 회비", "amount": 3_000}).json()
        assert member.post(f"/api/dues/{dues['id']}/pay", {"pin": PIN}).status_code == 201
        assert member.transfer(group, 7_000, memo="간식비").status_code == 201
        assert treasurer.transfer(treasurer.wallet_id, 4_000, from_wallet=group, memo="현수막").status_code == 201
        assert member.transfer(treasurer.wallet_id, 1_000).status_code == 201  # between people: not the club's
    assert _feed(club) == [
        "💰 club fund: member paid dues of ₩3,000 · 3월 회비 · balance ₩3,000",
        "💰 club fund: ₩7,000 in from member · 간식비 · balance ₩10,000",
        "💸 club fund: ₩4,000 out by treasurer · 현수막 · balance ₩6,000",
    ]


def test_approvals_asked_given_and_refused_show_in_the_channel(club, person, django_capture_on_commit_callbacks):
    treasurer, member, group = club["treasurer"], club["member"], club["group"]
    assert treasurer.transfer(group, 60_000).status_code == 201
    policy = {"threshold": 10_000, "approvers": [member.user.pk], "required": 1}
    assert treasurer.post(f"/api/wallets/{group}/approval-policy", policy).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        asked = treasurer.transfer(treasurer.wallet_id, 20_000, from_wallet=group, memo="MT 숙소")
        assert asked.status_code == 202, asked.json()
        assert member.post(f"/api/approvals/{asked.json()['id']}/approve", {"pin": PIN}).status_code == 200
        second = treasurer.transfer(treasurer.wallet_id, 15_000, from_wallet=group).json()
        assert member.post(f"/api/approvals/{second['id']}/reject", {"pin": PIN}).status_code == 200
    assert _feed(club)[-5:] == [
        "🕒 club fund: treasurer asks approval to send ₩20,000 (0 of 1)",
        "✅ club fund: member approved sending ₩20,000 (1 of 1)",
        "💸 club fund: ₩20,000 out by treasurer · MT 숙소 · balance ₩40,000",
        "🕒 club fund: treasurer asks approval to send ₩15,000 (0 of 1)",
        "❌ club fund: member rejected sending ₩15,000",
    ]


def test_a_settled_split_shows_in_the_channel(club, django_capture_on_commit_callbacks):
    treasurer, member = club["treasurer"], club["member"]
    with django_capture_on_commit_callbacks(execute=True):
        split = treasurer.post(
            f"/api/channels/{club['channel']}/splits",
            {
                "title": "회식",
                "total": 20_000,
                "members": [treasurer.user.pk, member.user.pk],
                "to_wallet": treasurer.wallet_id,
            },
        ).json()
        assert _feed(club) == []
        assert member.post(f"/api/splits/{split['id']}/pay", {"pin": PIN}).status_code == 201
    assert _feed(club) == ["✔️ “회식” is settled: everyone paid their share of ₩20,000."]


def test_the_treasurer_can_neither_rewrite_nor_erase_what_the_server_posted_in_their_name(
    club, django_capture_on_commit_callbacks
):
    """As tried: the treasurer edited "💸 ₩20,000 out by treasurer" and the approval rule's notice to
    "nothing happened", then deleted them (200, 204): the posts are in their name, but the server
    wrote them (`sys:` ids), and they are the club's shared record of its money and of its rule."""
    treasurer, member, group, channel = (club[k] for k in ("treasurer", "member", "group", "channel"))
    with django_capture_on_commit_callbacks(execute=True):
        assert treasurer.transfer(group, 30_000).status_code == 201
        assert treasurer.transfer(member.wallet_id, 20_000, from_wallet=group).status_code == 201
        policy = {"threshold": 1_000, "approvers": [member.user.pk], "required": 1}
        assert treasurer.post(f"/api/wallets/{group}/approval-policy", policy).status_code == 200
    assert treasurer.post(f"/api/channels/{channel}/owner", {"user_id": member.user.pk}).status_code == 200
    path = f"/api/channels/{channel}/messages"
    before = member.get(path).json()["results"]
    posted = [m for m in before if m["client_msg_id"].startswith("sys:")]
    assert len(posted) == 3 and {m["sender"]["username"] for m in posted} == {"treasurer"}

    for message in posted:
        edit = treasurer.client.patch(f"{path}/{message['id']}", {"body": "nothing happened"}, format="json")
        assert (edit.status_code, edit.json()["code"]) == (403, "forbidden")
        erase = treasurer.client.delete(f"{path}/{message['id']}")
        assert (erase.status_code, erase.json()["code"]) == (403, "forbidden")
    assert member.get(path).json()["results"] == before
    # Their own words stay theirs to edit and delete.
    mine = treasurer.post(path, {"body": "hall booked", "client_msg_id": "m1"}).json()
    assert treasurer.client.patch(f"{path}/{mine['id']}", {"body": "hall booked!"}, format="json").status_code == 200
    assert treasurer.client.delete(f"{path}/{mine['id']}").status_code == 204
