"""python -m loadtest.database: bulk users, channels and memberships with working tokens."""

import json

import pytest
from django.contrib.auth.hashers import check_password

from accounts.models import User
from channels_app.models import Channel, Membership
from loadtest.database import write_plan

pytestmark = pytest.mark.django_db


def test_provisions_the_shape_and_writes_tokens_that_sign_in(tmp_path, api_client):
    output = tmp_path / "plan.json"
    write_plan(users=12, channels=3, per_channel=4, output=str(output), password="shared-pw-123")
    plan = json.loads(output.read_text())

    assert len(plan["users"]) == User.objects.count() == 12
    assert [len(channel["members"]) for channel in plan["channels"]] == [4, 4, 4]
    assert Membership.objects.count() == 12
    for channel in plan["channels"]:
        member_ids = {plan["users"][index]["id"] for index in channel["members"]}
        assert set(Membership.objects.filter(channel_id=channel["id"]).values_list("user_id", flat=True)) == member_ids
        assert Channel.objects.get(pk=channel["id"]).owner_id == plan["users"][channel["members"][0]]["id"]
    assert all(check_password("shared-pw-123", user.password) for user in User.objects.all())

    someone = plan["users"][5]
    response = api_client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {someone['access']}")
    assert response.status_code == 200
    assert response.json()["id"] == someone["id"]


def test_refuses_a_channel_larger_than_the_users(tmp_path):
    with pytest.raises(Exception, match="per_channel"):
        write_plan(users=2, channels=1, per_channel=3, output=str(tmp_path / "plan.json"))


def test_a_second_run_on_the_same_database_gets_names_of_its_own(tmp_path):
    # Display names are unique whatever their case: each run names its users after the run.
    for run in ("first", "second"):
        write_plan(users=3, channels=1, per_channel=2, output=str(tmp_path / f"{run}.json"))
    assert User.objects.count() == 6
