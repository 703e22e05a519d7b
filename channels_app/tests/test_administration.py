"""The owner's administration of a channel (docs/api.md "Additions (v2)"): rename, password, remove a
member, hand the channel over; against PostgreSQL."""

import threading
import time

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from channels_app import services
from channels_app.models import Channel, Membership
from channels_app.tests.factories import channel_with_members
from core.api.errors import Forbidden

pytestmark = pytest.mark.django_db


def _client(user=None) -> APIClient:
    client = APIClient()
    client.force_authenticate(user or UserFactory())
    return client


@pytest.fixture
def club():
    channel, (owner, member) = channel_with_members(name="club", usernames=["owner", "member"])
    return {
        "id": channel.pk,
        "url": f"/api/channels/{channel.pk}",
        "owner": _client(owner),
        "owner_user": owner,
        "member": _client(member),
        "member_user": member,
    }


def _join(client, channel_id: int, password: str | None = None):
    body = {} if password is None else {"password": password}
    return client.post(f"/api/channels/{channel_id}/join", body, format="json")


def _member_names(club, reader="owner") -> list[str]:
    return [member["username"] for member in club[reader].get(f"{club['url']}/members").json()]


def test_the_owner_renames_and_describes_the_channel(club):
    response = club["owner"].patch(club["url"], {"name": "  Tennis club ", "description": "Sundays"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["description"], body["is_private"], body["member_count"]) == (
        "Tennis club",
        "Sundays",
        False,
        2,
    )
    assert club["member"].get(club["url"]).json()["name"] == "Tennis club"
    assert club["owner"].patch(club["url"], {"description": ""}, format="json").json()["description"] == ""
    blank = club["owner"].patch(club["url"], {"name": "   "}, format="json")
    assert (blank.status_code, blank.json()["code"], list(blank.json()["fields"])) == (400, "invalid", ["name"])
    assert club["owner"].patch(club["url"], {}, format="json").json()["name"] == "Tennis club"


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_only_the_owner_changes_the_channel(club, who):
    client = {"member": club["member"], "outsider": _client()}[who]
    response = client.patch(club["url"], {"name": "mine now", "password": "taken-over"}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert (Channel.objects.get(pk=club["id"]).name, Channel.objects.get(pk=club["id"]).is_private) == ("club", False)
    assert client.patch("/api/channels/999999", {"name": "x"}, format="json").status_code == 404


def test_a_new_password_guards_joining_and_an_empty_one_makes_the_channel_public(club):
    owner = club["owner"]
    assert owner.patch(club["url"], {"password": "first-secret"}, format="json").json()["is_private"] is True
    assert _join(_client(), club["id"]).json()["code"] == "wrong_password"
    assert _join(_client(), club["id"], "first-secret").status_code == 200
    assert "club" not in [c["name"] for c in owner.get("/api/channels?search=club").json()["results"]]

    assert owner.patch(club["url"], {"password": "second-secret"}, format="json").status_code == 200
    newcomer = _client()
    assert _join(newcomer, club["id"], "first-secret").json()["code"] == "wrong_password"
    assert _join(newcomer, club["id"], "second-secret").json()["member_count"] == 4  # members before stay

    public = owner.patch(club["url"], {"password": ""}, format="json").json()
    assert (public["is_private"], public["member_count"]) == (False, 4)
    assert _join(_client(), club["id"]).status_code == 200
    assert [c["name"] for c in owner.get("/api/channels?search=club").json()["results"]] == ["club"]


def test_the_owner_removes_a_member(club):
    member_id = club["member_user"].pk
    response = club["owner"].delete(f"{club['url']}/members/{member_id}")
    assert response.status_code == 204
    assert _member_names(club) == ["owner"]
    assert club["member"].get(f"{club['url']}/messages").json()["code"] == "forbidden"
    assert club["member"].get("/api/channels/mine").json() == []
    again = club["owner"].delete(f"{club['url']}/members/{member_id}")
    assert (again.status_code, again.json()["code"]) == (404, "not_found")


def test_removing_someone_who_is_not_a_member_is_not_found(club):
    outsider = UserFactory()
    for user_id in (outsider.pk, 999999):
        response = club["owner"].delete(f"{club['url']}/members/{user_id}")
        assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_the_owner_cannot_remove_themself(club):
    response = club["owner"].delete(f"{club['url']}/members/{club['owner_user'].pk}")
    assert (response.status_code, response.json()["code"]) == (409, "conflict")
    assert _member_names(club) == ["owner", "member"]


def test_only_the_owner_removes_members(club):
    third = UserFactory(username="third")
    _join(_client(third), club["id"])
    for target in (third, club["owner_user"]):
        response = club["member"].delete(f"{club['url']}/members/{target.pk}")
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert _client().delete(f"{club['url']}/members/{third.pk}").status_code == 403
    assert _member_names(club) == ["owner", "member", "third"]


def test_the_owner_hands_the_channel_to_a_member(club):
    member = club["member_user"]
    response = club["owner"].post(f"{club['url']}/owner", {"user_id": member.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["owner"] == {"id": member.pk, "username": "member"}
    assert club["owner"].patch(club["url"], {"name": "still mine?"}, format="json").status_code == 403
    assert club["member"].patch(club["url"], {"name": "member's club"}, format="json").status_code == 200
    # The former owner is a member like any other now: the new owner may remove them.
    assert club["member"].delete(f"{club['url']}/members/{club['owner_user'].pk}").status_code == 204
    assert _member_names(club, reader="member") == ["member"]


def test_the_channel_goes_only_to_a_member_and_only_from_its_owner(club):
    outsider = UserFactory()
    refused = club["owner"].post(f"{club['url']}/owner", {"user_id": outsider.pk}, format="json")
    assert (refused.status_code, refused.json()["code"], list(refused.json()["fields"])) == (
        400,
        "invalid",
        ["user_id"],
    )
    assert club["owner"].post(f"{club['url']}/owner", {"user_id": 999999}, format="json").status_code == 400
    taken = club["member"].post(f"{club['url']}/owner", {"user_id": club["member_user"].pk}, format="json")
    assert (taken.status_code, taken.json()["code"]) == (403, "forbidden")
    assert Channel.objects.get(pk=club["id"]).owner_id == club["owner_user"].pk


@pytest.mark.django_db(transaction=True)
def test_a_removal_racing_the_hand_over_to_the_same_member_waits_and_is_refused():
    """The owner hands the channel to a member and, at the same time, removes them: the removal
    waits for the hand-over and then sees it no longer owns the channel. Without the channel's
    row lock it would read the old owner and leave the channel to someone who is not in it."""
    channel, (owner, member) = channel_with_members(name="club", usernames=["owner", "member"])
    handed_over = threading.Event()

    def hand_over():
        with transaction.atomic():
            services.channel_owner_transfer(user=owner, channel_id=channel.pk, new_owner_id=member.pk)
            handed_over.set()
            time.sleep(0.5)  # not committed yet while the removal arrives
        connection.close()

    thread = threading.Thread(target=hand_over)
    thread.start()
    assert handed_over.wait(timeout=10)
    with pytest.raises(Forbidden):
        services.channel_member_remove(user=owner, channel_id=channel.pk, member_id=member.pk)
    thread.join()
    assert Channel.objects.get(pk=channel.pk).owner_id == member.pk
    assert Membership.objects.filter(channel=channel, user=member).exists()
