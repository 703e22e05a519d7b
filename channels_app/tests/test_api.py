"""Chat channels REST API against PostgreSQL and Redis."""

import pytest

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(api_client):
    owner = UserFactory(username="owner")
    api_client.force_authenticate(owner)
    api_client.user = owner
    return api_client


def _client_for(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def test_create_public_channel_makes_owner_first_member(owner_client):
    response = owner_client.post("/api/channels", {"name": "coffee", "description": "office fund"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "coffee" and body["is_private"] is False and body["member_count"] == 1
    assert body["owner"] == {"id": owner_client.user.id, "username": "owner"}
    members = owner_client.get(f"/api/channels/{body['id']}/members").json()
    assert members == [{"id": owner_client.user.id, "username": "owner"}]


def test_search_lists_public_channels_only(owner_client):
    owner_client.post("/api/channels", {"name": "Trip to Jeju", "description": "budget"}, format="json")
    owner_client.post("/api/channels", {"name": "secret trip", "password": "hunter22"}, format="json")
    names = [c["name"] for c in owner_client.get("/api/channels?search=trip").json()["results"]]
    assert names == ["Trip to Jeju"]
    assert [c["name"] for c in owner_client.get("/api/channels?search=budget").json()["results"]] == ["Trip to Jeju"]


@pytest.mark.parametrize(
    ("query", "status"), [("page=", 400), ("page=last", 400), ("limit=abc", 400), ("limit=101", 400)]
)
def test_a_page_or_size_that_is_not_a_whole_number_in_range_is_refused(owner_client, query, status):
    owner_client.post("/api/channels", {"name": "Trip to Jeju"}, format="json")
    response = owner_client.get(f"/api/channels?search=trip&{query}")
    assert response.status_code == status and response.json()["code"] in ("not_found", "invalid")


def test_private_channel_needs_its_password(owner_client):
    channel = owner_client.post("/api/channels", {"name": "club", "password": "hunter22"}, format="json").json()
    assert channel["is_private"] is True
    guest = _client_for(UserFactory())
    wrong = guest.post(f"/api/channels/{channel['id']}/join", {"password": "nope"}, format="json")
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_password"
    right = guest.post(f"/api/channels/{channel['id']}/join", {"password": "hunter22"}, format="json")
    assert right.status_code == 200 and right.json()["member_count"] == 2
    again = guest.post(f"/api/channels/{channel['id']}/join", {}, format="json")
    assert again.status_code == 200 and again.json()["member_count"] == 2


def test_non_member_cannot_read_members_or_messages(owner_client):
    channel = owner_client.post("/api/channels", {"name": "club"}, format="json").json()
    stranger = _client_for(UserFactory())
    assert stranger.get(f"/api/channels/{channel['id']}/members").json()["code"] == "forbidden"
    assert stranger.get(f"/api/channels/{channel['id']}/messages").status_code == 403
    assert stranger.post(f"/api/channels/{channel['id']}/messages", {"body": "hi"}, format="json").status_code == 403
    assert stranger.get(f"/api/channels/{channel['id']}").status_code == 200
    assert stranger.get("/api/channels/999999").json()["code"] == "not_found"


def test_rest_messages_history_pages_and_unread(owner_client):
    channel = owner_client.post("/api/channels", {"name": "club"}, format="json").json()
    url = f"/api/channels/{channel['id']}/messages"
    sent = [owner_client.post(url, {"body": f"m{i}"}, format="json").json() for i in range(1, 8)]
    assert [m["seq"] for m in sent] == [1, 2, 3, 4, 5, 6, 7]
    newest = owner_client.get(url + "?limit=3").json()
    assert [m["body"] for m in newest["results"]] == ["m5", "m6", "m7"] and newest["has_more"] is True
    older = owner_client.get(url + "?limit=3&before_seq=5").json()
    assert [m["seq"] for m in older["results"]] == [2, 3, 4] and older["has_more"] is True
    forward = owner_client.get(url + "?after_seq=5").json()
    assert [m["seq"] for m in forward["results"]] == [6, 7] and forward["has_more"] is False
    mine = owner_client.get("/api/channels/mine").json()
    assert (mine[0]["last_seq"], mine[0]["unread_count"]) == (7, 7)
    assert owner_client.post(f"/api/channels/{channel['id']}/read", {"seq": 5}, format="json").status_code == 204
    assert owner_client.get("/api/channels/mine").json()[0]["unread_count"] == 2


def test_my_channels_carry_their_last_message_in_one_query_for_them_all(owner_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def mine():
        with CaptureQueriesContext(connection) as queries:
            body = owner_client.get("/api/channels/mine").json()
        return {channel["name"]: channel["last_message"] for channel in body}, len(queries)

    owner_client.post("/api/channels", {"name": "quiet"}, format="json")  # no message yet
    hiking = owner_client.post("/api/channels", {"name": "hiking"}, format="json").json()
    url = f"/api/channels/{hiking['id']}/messages"
    owner_client.post(url, {"body": "first"}, format="json")
    owner_client.post(url, {"body": "see you at 7"}, format="json")
    last, two_channels = mine()
    assert (last["hiking"]["body"], last["hiking"]["seq"], last["hiking"]["photos"]) == ("see you at 7", 2, 0)

    for name in ("books", "choir"):
        channel = owner_client.post("/api/channels", {"name": name}, format="json").json()
        owner_client.post(f"/api/channels/{channel['id']}/messages", {"body": f"hello {name}"}, format="json")
    gone = owner_client.post(url, {"body": "oops"}, format="json").json()
    assert owner_client.delete(f"{url}/{gone['id']}").status_code == 204
    last, four_channels = mine()
    assert four_channels == two_channels  # not one query per channel
    assert last["quiet"] is None and last["books"]["body"] == "hello books"
    assert (last["hiking"]["deleted"], last["hiking"]["body"], last["hiking"]["seq"]) == (True, None, 3)


def test_rest_send_with_same_client_msg_id_is_one_message(owner_client):
    channel = owner_client.post("/api/channels", {"name": "club"}, format="json").json()
    url = f"/api/channels/{channel['id']}/messages"
    first = owner_client.post(url, {"body": "hi", "client_msg_id": "abc"}, format="json").json()
    second = owner_client.post(url, {"body": "hi", "client_msg_id": "abc"}, format="json").json()
    assert first == second
    assert len(owner_client.get(url).json()["results"]) == 1


def test_message_body_limits(owner_client):
    channel = owner_client.post("/api/channels", {"name": "club"}, format="json").json()
    url = f"/api/channels/{channel['id']}/messages"
    assert owner_client.post(url, {"body": ""}, format="json").json()["code"] == "invalid"
    assert owner_client.post(url, {"body": "x" * 4001}, format="json").status_code == 400
    assert owner_client.post(url, {"body": "x" * 4000}, format="json").status_code == 201


def test_leave_removes_membership(owner_client):
    channel = owner_client.post("/api/channels", {"name": "club"}, format="json").json()
    guest_user = UserFactory()
    guest = _client_for(guest_user)
    guest.post(f"/api/channels/{channel['id']}/join", {}, format="json")
    assert guest.post(f"/api/channels/{channel['id']}/leave").status_code == 204
    assert guest.get(f"/api/channels/{channel['id']}/members").status_code == 403
    assert guest.get("/api/channels/mine").json() == []


def test_search_with_a_nul_character_is_a_clear_error(owner_client):
    response = owner_client.get("/api/channels?search=tri%00p")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "search" in response.json()["fields"]


@pytest.mark.parametrize("name", ["   ", "\u001c", "\u0085\u3000", "\t\u2028"])
def test_a_name_of_only_whitespace_is_refused_and_the_schema_says_which(owner_client, name):
    """Python trims more characters than JSON Schema's \\s: the documented pattern must refuse them too."""
    import re

    response = owner_client.post("/api/channels", {"name": name}, format="json")
    assert (response.status_code, response.json()["code"], list(response.json()["fields"])) == (
        400,
        "invalid",
        ["name"],
    )
    schema = owner_client.get("/api/schema/", {"format": "json"}).json()
    pattern = schema["components"]["schemas"]["ChannelListCreateInputRequest"]["properties"]["name"]["pattern"]
    assert re.search(pattern, name) is None and re.search(pattern, "\ufeffclub")
    assert "\\s" not in pattern.lower()  # ECMA's \s is another set than Python's: name every character
