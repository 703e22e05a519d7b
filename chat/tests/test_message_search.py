"""GET /api/channels/{id}/messages/search: members find stored messages by words, newest first."""

from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from channels_app.tests.factories import channel_with_members
from chat.persistence import persist_pending_messages
from conftest import EMBEDDED

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def club():
    channel, (owner, member) = channel_with_members(name="club", usernames=["owner", "member"])
    owner_client, url = _client(owner), f"/api/channels/{channel.pk}/messages"
    for body in [
        "이번 달 회비를 냈어요",  # 1
        "Trip budget: flights",  # 2
        "회비 얼마예요?",  # 3
        "budget for the trip, hotels",  # 4
        "photos from the trip",  # 5
        "Final TRIP budget, all in",  # 6
    ]:
        assert owner_client.post(url, {"body": body}, format="json").status_code == 201
    persist_pending_messages()  # search reads the store, which workers fill within seconds
    return {"channel": channel, "member": _client(member), "url": f"{url}/search"}


def test_a_member_finds_messages_having_every_word_in_any_order_newest_first(club):
    response = club["member"].get(club["url"], {"q": "budget trip"})
    assert response.status_code == 200
    body = response.json()
    assert [m["seq"] for m in body["results"]] == [6, 4, 2] and body["next"] is None
    assert body["results"][0]["body"] == "Final TRIP budget, all in"
    assert body["results"][0]["sender"]["username"] == "owner"
    history = club["member"].get(club["url"].removesuffix("/search")).json()["results"]
    assert body["results"][0] == next(m for m in history if m["seq"] == 6)  # the shape and state history gives
    assert [m["seq"] for m in club["member"].get(club["url"], {"q": "TRIP, Budget!"}).json()["results"]] == [6, 4, 2]


def test_a_word_matches_as_a_prefix_so_korean_particles_still_match(club):
    assert [m["seq"] for m in club["member"].get(club["url"], {"q": "회비"}).json()["results"]] == [3, 1]
    assert [m["seq"] for m in club["member"].get(club["url"], {"q": "hotel trip"}).json()["results"]] == [4]


def test_results_come_in_pages_linked_by_next(club):
    first = club["member"].get(club["url"], {"q": "trip", "limit": 2}).json()
    assert [m["seq"] for m in first["results"]] == [6, 5]
    assert parse_qs(urlsplit(first["next"]).query) == {"q": ["trip"], "limit": ["2"], "before_seq": ["5"]}
    second = club["member"].get(first["next"]).json()
    assert [m["seq"] for m in second["results"]] == [4, 2] and second["next"] is None


def test_only_members_search_a_channel(club):
    outsider = _client(UserFactory())
    response = outsider.get(club["url"], {"q": "trip"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert outsider.get("/api/channels/999999/messages/search", {"q": "trip"}).json()["code"] == "not_found"
    assert APIClient().get(club["url"], {"q": "trip"}).status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "a b c d e f g h i"}, "q"),
        ({"q": "trip", "limit": 51}, "limit"),
    ],
    ids=["no q", "empty", "blank", "201 characters", "9 words", "page of 51"],
)
def test_a_search_is_bounded_in_text_words_and_page_size(club, query, field):
    response = club["member"].get(club["url"], query)
    assert (response.status_code, response.json()["code"], set(response.json()["fields"])) == (400, "invalid", {field})


def test_the_limits_are_counted_as_the_search_reads_them(club):
    member = club["member"]
    nine_words = member.get(club["url"], {"q": "a b c d e f g h i"}).json()
    assert nine_words["fields"] == {"q": ["Ensure this field has no more than 8 words."]}
    assert member.get(club["url"], {"q": "trip trip TRIP a b c d e f g"}).status_code == 200  # 8 different words
    assert member.get(club["url"], {"q": "x" * 200}).json() == {"results": [], "next": None}
    assert member.get(club["url"], {"q": "?! --"}).json() == {"results": [], "next": None}  # no word at all


def test_what_a_reader_sees_is_searched_edits_by_their_new_body_deletions_not_at_all(club):
    owner = _client(club["channel"].owner)
    messages = f"/api/channels/{club['channel'].pk}/messages"
    by_seq = {m["seq"]: m["id"] for m in owner.get(messages).json()["results"]}
    assert owner.patch(f"{messages}/{by_seq[4]}", {"body": "hotels booked"}, format="json").status_code == 200
    assert owner.patch(f"{messages}/{by_seq[5]}", {"body": "budget trip photos"}, format="json").status_code == 200
    assert owner.delete(f"{messages}/{by_seq[6]}").status_code == 204

    results = club["member"].get(club["url"], {"q": "budget trip"}).json()["results"]
    assert [(m["seq"], m["body"]) for m in results] == [(5, "budget trip photos"), (2, "Trip budget: flights")]
    assert results[0]["edited_at"] is not None
    assert [m["seq"] for m in club["member"].get(club["url"], {"q": "hotels"}).json()["results"]] == [4]
    paged = club["member"].get(club["url"], {"q": "trip", "limit": 1}).json()
    assert [m["seq"] for m in paged["results"]] == [5]
    assert [m["seq"] for m in club["member"].get(paged["next"]).json()["results"]] == [2]


@pytest.mark.skipif(EMBEDDED, reason="the embedded mode stores each message as it is sent")
def test_a_message_edited_before_a_worker_stored_it_is_found_by_its_new_body():
    channel, (owner, member) = channel_with_members(name="quick", usernames=["owner", "member"])
    messages = f"/api/channels/{channel.pk}/messages"
    sent = _client(owner).post(messages, {"body": "see you at six"}, format="json").json()
    edited = _client(owner).patch(f"{messages}/{sent['id']}", {"body": "see you at seven"}, format="json")
    assert edited.status_code == 200

    response = _client(member).get(f"{messages}/search", {"q": "seven"})
    assert response.status_code == 200
    assert [(m["id"], m["body"]) for m in response.json()["results"]] == [(sent["id"], "see you at seven")]
    persist_pending_messages()
    stored = _client(member).get(f"{messages}/search", {"q": "seven"}).json()["results"]
    assert [(m["id"], m["body"]) for m in stored] == [(sent["id"], "see you at seven")]
