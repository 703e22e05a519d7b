"""The owner stays until the channel is handed over (docs/api.md "Additions (v3)"), against PostgreSQL:
as tried, the owner left, then renamed the channel and removed its last member from outside."""

import importlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.apps import apps as global_apps
from django.db import connection
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from channels_app.models import Channel, Membership
from channels_app.services import channel_join, channel_leave
from channels_app.signals import member_left
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


@pytest.mark.django_db(transaction=True)
def test_a_join_racing_the_last_owners_leave_owns_the_channel_and_never_leaves_it_ownerless():
    """The owner, alone, leaves while a newcomer joins, on two PostgreSQL connections. The leave is
    held after its delete, before its commit: a join that read the owner as still there then
    (and so did not take the channel) left a channel whose owner was gone, with a member in it."""
    channel, (owner,) = channel_with_members(name="last one out", usernames=["owner"])
    newcomer = UserFactory(username="newcomer")
    leave_deleted, join_done = threading.Event(), threading.Event()

    def hold_the_leave(*, user, **kwargs) -> None:
        leave_deleted.set()
        join_done.wait(timeout=2)  # the join either finishes meanwhile or waits for this commit

    def leave() -> None:
        try:
            channel_leave(user=owner, channel=channel)
        finally:
            connection.close()

    def join() -> None:
        try:
            channel_join(user=newcomer, channel=Channel.objects.get(pk=channel.pk))
            join_done.set()
        finally:
            connection.close()

    member_left.connect(hold_the_leave, sender=Channel, dispatch_uid="hold_the_leave")
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            leaving = pool.submit(leave)
            assert leave_deleted.wait(timeout=10)
            joining = pool.submit(join)
            leaving.result(timeout=30), joining.result(timeout=30)
    finally:
        member_left.disconnect(sender=Channel, dispatch_uid="hold_the_leave")

    channel.refresh_from_db()
    assert list(Membership.objects.filter(channel=channel).values_list("user__username", flat=True)) == ["newcomer"]
    assert channel.owner.username == "newcomer"
