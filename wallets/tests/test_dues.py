"""Dues: the treasurer asks the group wallet's members to pay; each pays once, everyone sees who has."""

import pytest

from wallets.tests.conftest import PIN

pytestmark = pytest.mark.django_db


def _request_dues(club, amount=3_000, title="March dues"):
    response = club["treasurer"].post(
        f"/api/wallets/{club['group']}/dues", {"title": title, "amount": amount, "due_date": "2027-03-31"}
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_treasurer_requests_dues_from_every_member(club):
    dues = _request_dues(club)
    assert (dues["title"], dues["amount"], dues["due_date"], dues["wallet"]) == (
        "March dues",
        3_000,
        "2027-03-31",
        club["group"],
    )
    assert sorted((m["user"]["username"], m["paid"], m["transfer_id"]) for m in dues["members"]) == [
        ("member", False, None),
        ("treasurer", False, None),
    ]
    assert (dues["member_count"], dues["paid_count"]) == (2, 0)
    listed = club["member"].get(f"/api/wallets/{club['group']}/dues").json()
    assert [d["id"] for d in listed] == [dues["id"]]


def test_the_channel_gets_a_chat_message_announcing_the_dues(club, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        dues = _request_dues(club)
    history = club["member"].get(f"/api/channels/{club['channel']}/messages").json()["results"]
    announcement = next(m for m in history if m["client_msg_id"] == f"dues:{dues['id']}")
    assert announcement["sender"]["username"] == "treasurer"
    assert announcement["body"] == "treasurer asks the members of club fund to pay ₩3,000 for \u201cMarch dues\u201d."


def test_only_the_treasurer_requests_dues(club):
    response = club["member"].post(f"/api/wallets/{club['group']}/dues", {"title": "x", "amount": 1})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    personal = club["member"].post(f"/api/wallets/{club['member'].wallet_id}/dues", {"title": "x", "amount": 1})
    assert personal.status_code == 403


def test_a_member_pays_once_and_everyone_sees_it(club):
    dues = _request_dues(club)
    member = club["member"]
    paid = member.post(f"/api/dues/{dues['id']}/pay", {"pin": PIN})
    assert paid.status_code == 201, paid.json()
    transfer = paid.json()
    assert (transfer["kind"], transfer["amount"], transfer["to_wallet"]) == ("dues", 3_000, club["group"])
    again = member.post(f"/api/dues/{dues['id']}/pay", {"pin": PIN})
    assert again.status_code == 409 and again.json()["code"] == "already_paid"
    assert member.balance() == 50_000 - 3_000 and member.balance(club["group"]) == 3_000
    seen = club["treasurer"].get(f"/api/dues/{dues['id']}").json()
    status = {m["user"]["username"]: (m["paid"], m["transfer_id"]) for m in seen["members"]}
    assert status == {"member": (True, transfer["id"]), "treasurer": (False, None)}
    assert seen["paid_count"] == 1


def test_paying_dues_needs_the_right_pin_and_enough_money(club, person):
    dues = _request_dues(club, amount=60_000)
    member = club["member"]
    wrong = member.post(f"/api/dues/{dues['id']}/pay", {"pin": "0000"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_pin"
    short = member.post(f"/api/dues/{dues['id']}/pay", {"pin": PIN})
    assert short.status_code == 422 and short.json()["code"] == "insufficient_funds"
    assert club["treasurer"].get(f"/api/dues/{dues['id']}").json()["paid_count"] == 0


def test_people_not_asked_cannot_pay_or_see_dues(club, person):
    dues = _request_dues(club)
    stranger = person("stranger").open_wallet(deposit=10_000)
    assert stranger.get(f"/api/dues/{dues['id']}").status_code == 403
    assert stranger.post(f"/api/dues/{dues['id']}/pay", {"pin": PIN}).status_code == 403
    assert stranger.balance() == 10_000
