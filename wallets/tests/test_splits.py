"""Splitting a bill (정산): equal shares with the won remainder to the first members, or custom
shares that must add up; each member pays once through the money path; against PostgreSQL,
with real threads for paying twice at once."""

import threading

import pytest
from django.db import connection
from django.db.models import Sum
from rest_framework.test import APIClient

from wallets import ledger
from wallets.models import Split, Transfer, Wallet
from wallets.tests.conftest import PIN

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dinner(club, person):
    """The club's treasurer paid for dinner; member and carol (funded, in the channel) owe shares."""
    carol = person("carol").open_wallet(deposit=50_000)
    assert carol.post(f"/api/channels/{club['channel']}/join").status_code == 200
    return {**club, "carol": carol}


def _split(dinner, who="treasurer", **body):
    payer = dinner[who]
    body = {
        "title": "삼겹살 회식",
        "total": 100_000,
        "members": [payer.user.pk, dinner["member"].user.pk, dinner["carol"].user.pk],
        "to_wallet": payer.wallet_id,
        **body,
    }
    return payer.post(f"/api/channels/{dinner['channel']}/splits", body)


def _shares(split: dict) -> list[tuple[str, int, bool]]:
    return [(m["user"]["username"], m["amount"], m["paid"]) for m in split["members"]]


def test_equal_shares_give_the_won_remainder_to_the_first_members_and_the_payers_own_is_settled(dinner):
    response = _split(dinner)
    assert response.status_code == 201, response.json()
    split = response.json()
    assert (split["total"], split["to_wallet"], split["paid_count"]) == (100_000, dinner["treasurer"].wallet_id, 1)
    assert _shares(split) == [("treasurer", 33_334, True), ("member", 33_333, False), ("carol", 33_333, False)]

    history = dinner["member"].get(f"/api/channels/{dinner['channel']}/messages").json()["results"]
    card = next(m for m in history if m["client_msg_id"] == f"sys:split:{split['id']}")
    assert card["body"] == "treasurer split “삼겹살 회식” (₩100,000): @member ₩33,333, @carol ₩33,333."


def test_a_member_pays_their_share_once_and_the_payer_sees_who_paid(dinner):
    split = _split(dinner).json()
    pay = f"/api/splits/{split['id']}/pay"
    assert dinner["member"].post(pay, {"pin": "0000"}).json()["code"] == "wrong_pin"
    paid = dinner["member"].post(pay, {"pin": PIN})
    assert paid.status_code == 201, paid.json()
    assert (paid.json()["amount"], paid.json()["to_wallet"]) == (33_333, dinner["treasurer"].wallet_id)
    again = dinner["member"].post(pay, {"pin": PIN})
    assert (again.status_code, again.json()["code"]) == (409, "already_paid")
    own = dinner["treasurer"].post(pay, {"pin": PIN})
    assert (own.status_code, own.json()["code"]) == (409, "already_paid")
    seen = dinner["treasurer"].get(f"/api/splits/{split['id']}").json()
    assert _shares(seen) == [("treasurer", 33_334, True), ("member", 33_333, True), ("carol", 33_333, False)]
    assert dinner["member"].balance() == 50_000 - 33_333
    assert dinner["treasurer"].balance() == 100_000 + 33_333


def test_custom_shares_must_name_the_members_and_add_up_to_the_total(dinner):
    ids = {name: dinner[name].user.pk for name in ("treasurer", "member", "carol")}
    short = {str(ids["treasurer"]): 50_000, str(ids["member"]): 30_000, str(ids["carol"]): 10_000}
    missing = {str(ids["treasurer"]): 50_000, str(ids["member"]): 50_000}
    zero = {str(ids["treasurer"]): 70_000, str(ids["member"]): 30_000, str(ids["carol"]): 0}
    negative = {str(ids["treasurer"]): 120_000, str(ids["member"]): 30_000, str(ids["carol"]): -50_000}  # adds up
    stranger = {str(ids["treasurer"]): 50_000, str(ids["member"]): 50_000, "999999": 0}
    for shares in (short, missing, zero, negative, stranger):
        response = _split(dinner, shares=shares)
        assert (response.status_code, response.json()["code"], list(response.json()["fields"])) == (
            400,
            "invalid",
            ["shares"],
        )
    too_small = _split(dinner, total=2)
    assert (too_small.status_code, list(too_small.json()["fields"])) == (400, ["total"])
    for total in (0, -100_000):
        response = _split(dinner, total=total)
        assert (response.status_code, list(response.json()["fields"])) == (400, ["total"])
    assert Split.objects.count() == 0

    fair = {str(ids["treasurer"]): 50_000, str(ids["member"]): 35_000, str(ids["carol"]): 15_000}
    response = _split(dinner, shares=fair)
    assert response.status_code == 201, response.json()
    assert _shares(response.json()) == [
        ("treasurer", 50_000, True),
        ("member", 35_000, False),
        ("carol", 15_000, False),
    ]


def test_a_split_names_only_members_of_the_channel_and_pays_into_a_wallet_of_theirs(dinner, person):
    outsider = person("outsider").open_wallet(deposit=10_000)
    response = _split(dinner, members=[dinner["member"].user.pk, outsider.user.pk])
    assert (response.status_code, list(response.json()["fields"])) == (400, ["members"])
    response = _split(dinner, to_wallet=dinner["member"].wallet_id)  # someone else's wallet
    assert (response.status_code, list(response.json()["fields"])) == (400, ["to_wallet"])
    assert (
        outsider.post(
            f"/api/channels/{dinner['channel']}/splits",
            {
                "title": "x",
                "total": 10,
                "members": [outsider.user.pk],
                "to_wallet": outsider.wallet_id,
            },
        ).status_code
        == 403
    )
    assert Split.objects.count() == 0
    split = _split(dinner).json()
    assert outsider.get(f"/api/splits/{split['id']}").status_code == 403
    assert outsider.post(f"/api/splits/{split['id']}/pay", {"pin": PIN}).status_code == 403


def test_paying_a_share_twice_at_once_moves_the_money_once(dinner):
    split = _split(dinner).json()
    member = dinner["member"]
    barrier = threading.Barrier(4)
    answers = []

    def pay(key: str) -> None:
        try:
            client = APIClient()
            client.force_authenticate(member.user)
            barrier.wait()
            response = client.post(
                f"/api/splits/{split['id']}/pay", {"pin": PIN}, format="json", headers={"Idempotency-Key": key}
            )
            answers.append((response.status_code, response.json().get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(f"pay-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers, key=str) == [(201, None)] + [(409, "already_paid")] * 3
    assert member.balance() == 50_000 - 33_333
    assert Transfer.objects.filter(memo="삼겹살 회식").count() == 1
    assert Wallet.objects.aggregate(total=Sum("balance"))["total"] == 100_000 + 50_000 + 50_000  # what was deposited
    assert ledger.ledger_violations() == []


def test_the_payer_reminds_those_who_have_not_paid_at_most_hourly(dinner):
    split = _split(dinner).json()
    assert dinner["member"].post(f"/api/splits/{split['id']}/remind").status_code == 403
    assert dinner["carol"].post(f"/api/splits/{split['id']}/pay", {"pin": PIN}).status_code == 201
    reminded = dinner["treasurer"].post(f"/api/splits/{split['id']}/remind")
    assert (reminded.status_code, reminded.json()) == (200, {"reminded": 1})
    again = dinner["treasurer"].post(f"/api/splits/{split['id']}/remind")
    assert (again.status_code, again.json()["code"]) == (429, "rate_limited")
    history = dinner["member"].get(f"/api/channels/{dinner['channel']}/messages").json()["results"]
    assert any(m["body"] == "@member a reminder: your share of “삼겹살 회식” is not paid yet." for m in history)


def test_a_member_pays_only_their_own_share_and_nobody_elses(dinner, person):
    """Pay takes no member: it pays the caller's share. A channel member not named in the split
    has no share to pay, and paying cannot settle anyone else's."""
    dave = person("dave").open_wallet(deposit=50_000)
    assert dave.post(f"/api/channels/{dinner['channel']}/join").status_code == 200
    split = _split(dinner).json()
    refused = dave.post(f"/api/splits/{split['id']}/pay", {"pin": PIN})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert dave.balance() == 50_000
    paid = dinner["member"].post(f"/api/splits/{split['id']}/pay", {"pin": PIN, "user": dinner["carol"].user.pk})
    assert (paid.status_code, paid.json()["amount"]) == (201, 33_333)
    seen = dave.get(f"/api/splits/{split['id']}").json()  # a channel member sees who paid
    assert _shares(seen) == [("treasurer", 33_334, True), ("member", 33_333, True), ("carol", 33_333, False)]
    assert (dinner["member"].balance(), dinner["carol"].balance()) == (50_000 - 33_333, 50_000)
