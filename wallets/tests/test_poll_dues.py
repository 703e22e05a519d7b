"""A poll turned into dues (docs/api.md "Additions (v3)"): the treasurer asks those who chose an option
of a closed poll ("going" to the hike) to pay, and the dues card in the chat names them."""

import pytest

from wallets.models import Dues
from wallets.tests.conftest import PIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def hike(club, person, django_capture_on_commit_callbacks):
    """A closed poll of the club's channel: member and carol chose "Going", the treasurer "Not going"."""
    carol = person("carol").open_wallet(deposit=20_000)
    assert carol.post(f"/api/channels/{club['channel']}/join").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        poll = (
            club["member"]
            .post(
                f"/api/channels/{club['channel']}/polls",
                {"question": "Hike on Saturday?", "options": ["Going", "Not going"]},
            )
            .json()
        )
    going, not_going = (option["id"] for option in poll["options"])
    for who, option in ((club["member"], going), (carol, going), (club["treasurer"], not_going)):
        assert who.post(f"/api/polls/{poll['id']}/vote", {"options": [option]}).status_code == 200
    return {**club, "carol": carol, "poll": poll["id"], "going": going, "not_going": not_going}


def _ask(hike, who="treasurer", **body):
    body = {"wallet": hike["group"], "amount": 15_000, "option": hike["going"], **body}
    return hike[who].post(f"/api/polls/{hike['poll']}/dues", body)


def test_dues_from_a_poll_go_to_those_who_chose_the_option_and_the_card_names_them(
    hike, django_capture_on_commit_callbacks
):
    assert (_ask(hike).status_code, _ask(hike).json()["code"]) == (409, "conflict")  # still open: votes may change
    assert hike["member"].post(f"/api/polls/{hike['poll']}/close").status_code == 200
    assert (_ask(hike, who="member").status_code, Dues.objects.count()) == (403, 0)  # the treasurer asks
    with django_capture_on_commit_callbacks(execute=True):
        response = _ask(hike)
    assert response.status_code == 201, response.json()
    dues = response.json()
    assert (dues["title"], dues["amount"], dues["poll_option"]) == ("Hike on Saturday? · Going", 15_000, hike["going"])
    assert sorted(m["user"]["username"] for m in dues["members"]) == ["carol", "member"]

    history = hike["member"].get(f"/api/channels/{hike['channel']}/messages").json()["results"]
    card = next(m for m in history if m["client_msg_id"] == f"sys:dues:{dues['id']}")
    assert (
        card["body"]
        == "treasurer asks @carol @member, who chose “Going”, to pay ₩15,000 for “Hike on Saturday? · Going”."
    )
    assert sorted(card["mentions"]) == sorted([hike["member"].user.pk, hike["carol"].user.pk])

    # carol pays (she never joined the group wallet: she was asked all the same); the treasurer was not asked.
    assert hike["carol"].post(f"/api/dues/{dues['id']}/pay", {"pin": PIN}).status_code == 201
    assert hike["carol"].balance() == 5_000 and hike["treasurer"].balance(hike["group"]) == 15_000
    assert hike["treasurer"].post(f"/api/dues/{dues['id']}/pay", {"pin": PIN}).status_code == 403


def test_poll_dues_need_the_channels_wallet_a_real_option_and_someone_who_chose_it(hike, person):
    assert hike["member"].post(f"/api/polls/{hike['poll']}/close").status_code == 200
    other = hike["treasurer"].post("/api/channels", {"name": "other club"}).json()
    elsewhere = hike["treasurer"].post(f"/api/channels/{other['id']}/group-wallets", {"name": "other fund"}).json()
    cases = [
        ({"wallet": elsewhere["id"]}, "wallet"),
        ({"option": 999_999}, "option"),
    ]
    for body, field in cases:
        response = _ask(hike, **body)
        assert (response.status_code, response.json()["code"], list(response.json()["fields"])) == (
            400,
            "invalid",
            [field],
        )
    nobody = (
        hike["member"]
        .post(f"/api/channels/{hike['channel']}/polls", {"question": "Bring a tent?", "options": ["yes", "no"]})
        .json()
    )
    assert hike["member"].post(f"/api/polls/{nobody['id']}/close").status_code == 200
    response = hike["treasurer"].post(
        f"/api/polls/{nobody['id']}/dues",
        {"wallet": hike["group"], "amount": 1_000, "option": nobody["options"][0]["id"]},
    )
    assert (response.status_code, list(response.json()["fields"])) == (400, ["option"])
    outsider = person("outsider")
    assert (
        outsider.post(
            f"/api/polls/{hike['poll']}/dues", {"wallet": hike["group"], "amount": 1, "option": hike["going"]}
        ).status_code
        == 403
    )
    assert Dues.objects.count() == 0


def test_poll_dues_ask_those_whose_last_choice_it_was_for_a_positive_amount(hike):
    """A member who changed their vote before the poll closed is asked by their last choice only;
    no amount of zero or less, and a closed poll takes no more votes to slip someone in or out."""
    carol = hike["carol"]
    assert carol.post(f"/api/polls/{hike['poll']}/vote", {"options": [hike["not_going"]]}).status_code == 200
    assert hike["member"].post(f"/api/polls/{hike['poll']}/close").status_code == 200
    late = carol.post(f"/api/polls/{hike['poll']}/vote", {"options": [hike["going"]]})
    assert (late.status_code, late.json()["code"]) == (409, "conflict")
    for amount in (0, -15_000):
        response = _ask(hike, amount=amount)
        assert (response.status_code, list(response.json()["fields"])) == (400, ["amount"])
    response = _ask(hike)
    assert response.status_code == 201, response.json()
    assert [m["user"]["username"] for m in response.json()["members"]] == ["member"]
    refused = carol.post(f"/api/dues/{response.json()['id']}/pay", {"pin": PIN})
    assert refused.status_code == 403  # she was not asked
