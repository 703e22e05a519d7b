"""The owner stays until the channel is handed over (API.md "Additions (v3)"), against PostgreSQL:
as tried, the owner left, then renamed the channel and removed its last member from outside."""

import importlib

import pytest
from django.apps import apps as global_apps
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from channels_app.models import Channel, Membership
from channels_app.tests.factories import channel_with_members

pytestmark = pytest.mark.django_db


def _client(user, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "hand it over to another member"), ("ko", "다른 멤버에게 채널을 넘긴 뒤")],
)
def test_the_owner_cannot_leave_a_channel_with_other_members_until_it_is_handed_over(language, words):
    channel, (owner, member) = channel_with_members(name="club", usernames=["owner", "member"])
    owner_client, member_client = _client(owner, language), _client(member)
    url = f"/api/channels/{channel.pk}"

    refused = owner_client.post(f"{url}/leave")
    assert (refused.status_code, refused.json()["code"]) == (409, "conflict")
    assert words in refused.json()["detail"]
    # Still the owner and a member: the rename and the removal as tried are the owner's, not an outsider's.
    assert owner_client.patch(url, {"name": "renamed"}, format="json").status_code == 200
    assert member_client.get(url).json()["owner"]["username"] == "owner"

    assert owner_client.post(f"{url}/owner", {"user_id": member.pk}, format="json").status_code == 200
    assert owner_client.post(f"{url}/leave").status_code == 204
    assert owner_client.patch(url, {"name": "taken back"}, format="json").status_code == 403
    assert owner_client.delete(f"{url}/members/{member.pk}").status_code == 403
    assert [m["username"] for m in member_client.get(f"{url}/members").json()] == ["member"]
    assert member_client.patch(url, {"name": "ours"}, format="json").status_code == 200


def test_the_last_member_leaving_leaves_an_empty_public_channel_that_the_next_to_join_owns():
    channel, (owner,) = channel_with_members(name="empty soon", usernames=["owner"])
    owner_client, newcomer = _client(owner), UserFactory(username="newcomer")
    url = f"/api/channels/{channel.pk}"
    assert owner_client.post(f"{url}/leave").status_code == 204
    assert Channel.objects.filter(pk=channel.pk).exists()
    assert owner_client.patch(url, {"name": "still mine"}, format="json").status_code == 403

    joined = _client(newcomer).post(f"{url}/join", {}, format="json")
    assert joined.status_code == 200
    assert (joined.json()["owner"]["username"], joined.json()["member_count"]) == ("newcomer", 1)
    assert _client(newcomer).patch(url, {"name": "revived"}, format="json").status_code == 200
    assert _client(owner).post(f"{url}/join", {}, format="json").json()["owner"]["username"] == "newcomer"


def test_the_migration_hands_channels_whose_owner_left_to_the_longest_standing_member():
    """The data as the old leave left it: the owner gone, members still there."""
    orphaned, (gone, first, second) = channel_with_members(name="orphaned", usernames=["gone", "first", "second"])
    empty, (alone,) = channel_with_members(name="empty", usernames=["alone"])
    kept, (keeper, guest) = channel_with_members(name="kept", usernames=["keeper", "guest"])
    Membership.objects.filter(user__in=[gone, alone]).delete()
    migration = importlib.import_module("channels_app.migrations.0003_owners_who_left_hand_over")

    migration.hand_over_channels_whose_owner_left(global_apps, None)

    owners = dict(Channel.objects.values_list("name", "owner__username"))
    assert owners == {"orphaned": "first", "empty": "alone", "kept": "keeper"}
