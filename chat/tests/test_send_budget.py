"""One message budget per person, shared by their REST posts and their sockets (docs/api.md "Additions
(v3)"). As tried: 400 REST posts in 4.4 s were all 201, while only sockets were limited, and
those per connection. The budgets below refill one message every 100 s, so nothing here depends
on how fast the machine runs."""

import asyncio

import pytest
from rest_framework.test import APIClient

from channels_app.tests.factories import channel_with_members
from chat.tests.live import Client, WebNode, call

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def frugal_node(server_environment):
    """A node whose people each have 10 messages and then one every 100 s."""
    node = WebNode({**server_environment, "CHAT_SEND_RATE_PER_SECOND": "0.01", "CHAT_SEND_BURST": "10"}, "node-frugal")
    yield node
    node.stop()


def test_rest_posts_over_the_senders_budget_are_refused(settings):
    settings.CHAT_SEND_RATE_PER_SECOND, settings.CHAT_SEND_BURST = 0.01, 5
    channel, (alice, bob) = channel_with_members(name="room", usernames=["alice", "bob"])
    clients = {}
    for user in (alice, bob):
        clients[user.username] = APIClient()
        clients[user.username].force_authenticate(user)
    url = f"/api/channels/{channel.pk}/messages"

    statuses = [clients["alice"].post(url, {"body": f"spam {i}"}, format="json").status_code for i in range(8)]
    refused = clients["alice"].post(url, {"body": "one more"}, format="json")

    assert statuses == [201] * 5 + [429] * 3
    assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")
    assert clients["bob"].post(url, {"body": "hi"}, format="json").status_code == 201  # each their own
    history = clients["bob"].get(url).json()["results"]
    assert [m["body"] for m in history] == [f"spam {i}" for i in range(5)] + ["hi"]


def test_polls_and_edits_spend_the_same_budget(settings):
    """A poll is posted in the chat as a message and an edit sends its new body to every member:
    neither is a way around the budget that REST posts and sockets spend."""
    settings.CHAT_SEND_RATE_PER_SECOND, settings.CHAT_SEND_BURST = 0.01, 4
    channel, (alice,) = channel_with_members(name="room", usernames=["alice"])
    client = APIClient()
    client.force_authenticate(alice)
    url = f"/api/channels/{channel.pk}"
    poll = {"question": "hike?", "options": ["yes", "no"]}

    sent = client.post(f"{url}/messages", {"body": "first"}, format="json")
    edit = f"{url}/messages/{sent.json()['id']}"
    spent = [
        sent.status_code,
        client.patch(edit, {"body": "first, edited"}, format="json").status_code,
        client.post(f"{url}/polls", poll, format="json").status_code,
        client.post(f"{url}/messages", {"body": "second"}, format="json").status_code,
    ]
    over = [
        client.post(f"{url}/polls", poll, format="json"),
        client.patch(edit, {"body": "edited again"}, format="json"),
        client.post(f"{url}/messages", {"body": "third"}, format="json"),
    ]

    assert spent == [201, 200, 201, 201]
    assert [(r.status_code, r.json()["code"]) for r in over] == [(429, "rate_limited")] * 3
    history = client.get(f"{url}/messages").json()["results"]
    assert [m["body"] for m in history] == ["first, edited", "Poll: hike?", "second"]


@pytest.mark.asyncio
async def test_the_socket_and_rest_spend_one_budget(frugal_node):
    channel, (alice, bob) = await asyncio.to_thread(channel_with_members, name="room", usernames=["alice", "bob"])
    socket = await Client.subscribed(frugal_node.ws_url, alice, channel.pk)
    path = f"/api/channels/{channel.pk}/messages"

    acks = [(await socket.send_message(channel.pk, f"live {i}", f"m{i}"))["type"] for i in range(6)]
    posts = [(await call(frugal_node, "POST", path, alice, {"body": f"rest {i}"}))[0] for i in range(4)]
    over_rest = await call(frugal_node, "POST", path, alice, {"body": "rest over"})
    over_socket = await socket.send_message(channel.pk, "live over", "m-over")

    assert acks == ["ack"] * 6 and posts == [201] * 4
    assert (over_rest[0], over_rest[1]["code"]) == (429, "rate_limited")
    assert (over_socket["type"], over_socket["code"]) == ("error", "rate_limited")
    assert (await call(frugal_node, "POST", path, bob, {"body": "bob's turn"}))[0] == 201
    await socket.close()
