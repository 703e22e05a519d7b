"""Dues: the treasurer asks the group wallet's members to pay; each pays once, everyone sees who has."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from wallets import tasks
from wallets.models import Dues, RecurringDues
from wallets.tests.conftest import PIN

pytestmark = pytest.mark.django_db


def _request_dues(club, amount=3_000, title="March dues"):
    response = club["treasurer"].post(
        f"/api/wallets/{club['group']}/dues", {"title": title, "amount": amount, "due_date": "2027-03-31"}
    )
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.mark.parametrize("due_date", ["9999-12-31", "2999-01-01"])
def test_a_due_date_is_at_most_ten_years_ahead(club, due_date):
    response = club["treasurer"].post(
        f"/api/wallets/{club['group']}/dues", {"title": "Far", "amount": 100, "due_date": due_date}
    )
    assert response.status_code == 400 and response.json()["fields"] == {"due_date": ["At most ten years ahead."]}
    assert not Dues.objects.exists()


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
    announcement = next(m for m in history if m["client_msg_id"] == f"sys:dues:{dues['id']}")
    assert announcement["sender"]["username"] == "treasurer"
    assert (
        announcement["body"] == "treasurer asks everyone in the channel to pay ₩3,000 into club fund for “March dues”."
    )


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


def test_the_treasurer_reminds_unpaid_members_at_most_once_an_hour(club, person, django_capture_on_commit_callbacks):
    ana = person("ana").open_wallet(deposit=10_000)
    ana.post(f"/api/channels/{club['channel']}/join")
    ana.post(f"/api/wallets/{club['group']}/join")
    dues = _request_dues(club)
    club["member"].post(f"/api/dues/{dues['id']}/pay", {"pin": PIN})
    assert ana.post(f"/api/dues/{dues['id']}/remind").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        reminded = club["treasurer"].post(f"/api/dues/{dues['id']}/remind")
    assert reminded.status_code == 200 and reminded.json() == {"reminded": 1}  # ana; not the payer, not oneself
    history = ana.get(f"/api/channels/{club['channel']}/messages").json()["results"]
    reminder = next(m for m in history if m["client_msg_id"].startswith(f"sys:dues-remind:{dues['id']}:"))
    assert reminder["body"] == "@ana a reminder: “March dues”, ₩3,000, is not paid yet."
    assert reminder["sender"]["username"] == "treasurer"
    again = club["treasurer"].post(f"/api/dues/{dues['id']}/remind")
    assert again.status_code == 429 and again.json()["code"] == "rate_limited"
    assert "60 minutes" in again.json()["detail"] or "59 minutes" in again.json()["detail"]
    Dues.objects.filter(pk=dues["id"]).update(last_reminded_at=timezone.now() - timedelta(minutes=61))
    assert club["treasurer"].post(f"/api/dues/{dues['id']}/remind").json() == {"reminded": 1}


def test_a_retried_reminder_is_posted_once(club, django_capture_on_commit_callbacks):
    dues = _request_dues(club)
    reminded_at = timezone.now().isoformat()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):  # the outbox's relay, on commit
            tasks.send_dues_reminder.apply(args=(dues["id"], [club["member"].user.pk], reminded_at)).get()
    history = club["member"].get(f"/api/channels/{club['channel']}/messages").json()["results"]
    assert len([m for m in history if m["client_msg_id"].startswith("sys:dues-remind:")]) == 1


def test_recurring_dues_are_asked_for_once_per_period_by_the_beat(club):
    treasurer, group = club["treasurer"], club["group"]
    today = timezone.localdate(timezone=ZoneInfo("Asia/Seoul"))
    body = {
        "title": "Weekly court",
        "amount": 5_000,
        "repeat": "weekly",
        "first_due": (today + timedelta(days=3)).isoformat(),
    }
    assert club["member"].post(f"/api/wallets/{group}/recurring-dues", body).status_code == 403
    created = treasurer.post(f"/api/wallets/{group}/recurring-dues", body)
    assert created.status_code == 201, created.json()
    recurring = created.json()
    # The first period is already open (a week's notice): the tick asks for it, and only once.
    for _ in range(3):
        tasks.enqueue_due_recurring_dues.apply().get()
    listed = club["member"].get(f"/api/wallets/{group}/dues").json()
    assert [(d["title"], d["due_date"], d["recurring"]) for d in listed] == [
        ("Weekly court", body["first_due"], recurring["id"])
    ]
    state = treasurer.get(f"/api/wallets/{group}/recurring-dues").json()[0]
    assert state["next_due"] == (today + timedelta(days=10)).isoformat()
    # A week later the beat asks for the next period; a duplicated task asks for nothing more.
    RecurringDues.objects.filter(pk=recurring["id"]).update(next_run_at=timezone.now() - timedelta(seconds=1))
    assert tasks.enqueue_due_recurring_dues.apply().get() == 1
    assert tasks.create_recurring_dues.apply(args=(recurring["id"], state["next_due"])).get() is None
    assert [d["due_date"] for d in club["member"].get(f"/api/wallets/{group}/dues").json()] == [
        state["next_due"],
        body["first_due"],
    ]
    assert treasurer.client.delete(f"/api/recurring-dues/{recurring['id']}").status_code == 204
    RecurringDues.objects.filter(pk=recurring["id"]).update(next_run_at=timezone.now() - timedelta(seconds=1))
    assert tasks.enqueue_due_recurring_dues.apply().get() == 0


def test_recurring_dues_cannot_start_in_the_past(club):
    body = {"title": "x", "amount": 5_000, "repeat": "monthly", "first_due": "2020-01-31"}
    response = club["treasurer"].post(f"/api/wallets/{club['group']}/recurring-dues", body)
    assert response.status_code == 400 and "first_due" in response.json()["fields"]


def test_the_overview_shows_who_paid_on_time_late_or_not_at_all(club):
    member, treasurer = club["member"], club["treasurer"]
    on_time = _request_dues(club, title="April", amount=1_000)
    late = _request_dues(club, title="May", amount=2_000)
    _request_dues(club, title="June", amount=4_000)
    member.post(f"/api/dues/{on_time['id']}/pay", {"pin": PIN})
    member.post(f"/api/dues/{late['id']}/pay", {"pin": PIN})
    # May was due yesterday: paying it now was late.
    Dues.objects.filter(pk=late["id"]).update(due_at=timezone.now() - timedelta(days=1))
    overview = {
        row["user"]["username"]: row for row in treasurer.get(f"/api/wallets/{club['group']}/dues-overview").json()
    }
    assert {key: overview["member"][key] for key in ("paid_on_time", "paid_late", "unpaid", "overdue", "owed")} == {
        "paid_on_time": 1,
        "paid_late": 1,
        "unpaid": 1,
        "overdue": 0,
        "owed": 4_000,
    }
    assert (overview["treasurer"]["unpaid"], overview["treasurer"]["overdue"], overview["treasurer"]["owed"]) == (
        3,
        1,
        7_000,
    )
    standing = {m["user"]["username"]: m["standing"] for m in member.get(f"/api/dues/{late['id']}").json()["members"]}
    assert standing == {"member": "paid_late", "treasurer": "overdue"}


def test_dues_ask_every_channel_member_and_paying_joins_the_group_wallet(club, person):
    ana = person("ana").open_wallet(deposit=10_000)
    assert ana.post(f"/api/channels/{club['channel']}/join").status_code == 200  # not the group wallet
    dues = _request_dues(club)
    assert sorted(m["user"]["username"] for m in dues["members"]) == ["ana", "member", "treasurer"]
    assert (dues["member_count"], dues["paid_count"]) == (3, 0)

    paid = ana.post(f"/api/dues/{dues['id']}/pay", {"pin": PIN})
    assert paid.status_code == 201, paid.json()
    assert ana.balance() == 7_000 and club["treasurer"].balance(club["group"]) == 3_000
    members = ana.get(f"/api/wallets/{club['group']}/members").json()
    assert sorted(m["username"] for m in members) == ["ana", "member", "treasurer"]
    assert [w["kind"] for w in ana.get("/api/wallets/mine").json()] == ["personal", "group"]


def test_whoever_joins_the_channel_later_is_asked_for_the_dues_still_open(club, person):
    still_open = _request_dues(club, title="March dues")
    past = _request_dues(club, title="February dues")
    Dues.objects.filter(pk=past["id"]).update(due_at=timezone.now() - timedelta(days=1))  # its day has gone by
    bo = person("bo").open_wallet(deposit=10_000)
    assert bo.post(f"/api/channels/{club['channel']}/join").status_code == 200

    asked = bo.get(f"/api/dues/{still_open['id']}").json()
    assert sorted(m["user"]["username"] for m in asked["members"]) == ["bo", "member", "treasurer"]
    assert asked["member_count"] == 3
    assert "bo" not in [m["user"]["username"] for m in bo.get(f"/api/dues/{past['id']}").json()["members"]]
    assert bo.post(f"/api/dues/{still_open['id']}/pay", {"pin": PIN}).status_code == 201
    assert bo.post(f"/api/dues/{past['id']}/pay", {"pin": PIN}).json()["code"] == "forbidden"
    assert bo.balance() == 7_000
