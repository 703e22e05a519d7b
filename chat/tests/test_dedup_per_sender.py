"""client_msg_id is its sender's own, over real sockets: two members may use the same one, and the
ids the server's own posts use (`sys:`) no client may send (chat.services.SYSTEM_ID_PREFIX)."""

import json
import urllib.error
import urllib.request

import pytest
from asgiref.sync import sync_to_async

from chat.tests.live import Client, access_token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def _until_message(client: Client, frames: list[dict], *, seq: int) -> list[dict]:
    """The frames already read, and more until the message with this seq (it may be among them)."""
    is_it = lambda f: f["type"] == "message" and f["seq"] == seq  # noqa: E731
    return frames if any(map(is_it, frames)) else frames + await client.recv_until(is_it)


async def _ack(client: Client, client_msg_id: str) -> dict:
    frames = await client.recv_until(
        lambda f: f["type"] in ("ack", "error") and f.get("client_msg_id") == client_msg_id
    )
    return frames[-1]


@pytest.mark.redis_modes
async def test_two_members_sending_the_same_client_msg_id_both_get_their_message_through(two_nodes, alice_and_bob):
    channel, alice, bob, a, b = alice_and_bob
    node_a, node_b = two_nodes
    await b.send(type="send", channel=channel.pk, body="bob's", client_msg_id="c-1")
    b_frames = await b.recv_until(lambda f: f["type"] in ("ack", "error"))
    await a.send(type="send", channel=channel.pk, body="alice's", client_msg_id="c-1")
    a_frames = await a.recv_until(lambda f: f["type"] in ("ack", "error"))
    bob_ack, alice_ack = b_frames[-1], a_frames[-1]

    assert bob_ack["type"] == alice_ack["type"] == "ack"
    assert bob_ack["id"] != alice_ack["id"] and (bob_ack["seq"], alice_ack["seq"]) == (1, 2)
    for client, frames in ((a, a_frames), (b, b_frames)):
        frames = await _until_message(client, frames, seq=2)
        delivered = [(f["sender"]["username"], f["body"]) for f in frames if f["type"] == "message"]
        assert delivered == [("bob", "bob's"), ("alice", "alice's")]
    history = await sync_to_async(_history)(node_b, bob, channel.pk)
    assert [(m["id"], m["sender"]["username"], m["body"]) for m in history] == [
        (bob_ack["id"], "bob", "bob's"),
        (alice_ack["id"], "alice", "alice's"),
    ]
    # The same sender repeating it is still one message, answered with the first ack.
    await a.send(type="send", channel=channel.pk, body="alice's again", client_msg_id="c-1")
    again = await _ack(a, "c-1")
    assert (again["id"], again["seq"]) == (alice_ack["id"], 2)


@pytest.mark.redis_modes
async def test_a_client_may_not_send_the_servers_own_ids(two_nodes, room):
    channel, (alice, bob) = await room("alice", "bob")
    a = await Client.subscribed(two_nodes[0].ws_url, alice, channel.pk)
    await a.send(type="send", channel=channel.pk, body="fake card", client_msg_id="sys:dues:1")
    refused = await _ack(a, "sys:dues:1")
    assert (refused["type"], refused["code"], refused["channel"]) == ("error", "bad_request", channel.pk)
    assert "sys:" in refused["detail"]
    status, body = await sync_to_async(_post_message)(
        two_nodes[1], alice, channel.pk, {"body": "fake card", "client_msg_id": "sys:dues:1"}
    )
    assert status == 400 and body["code"] == "invalid" and "client_msg_id" in body["fields"]
    assert [f for f in await a.flush() if f["type"] == "message"] == []
    assert await sync_to_async(_history)(two_nodes[1], bob, channel.pk) == []
    await a.close()


def _history(node, user, channel_id: int) -> list[dict]:
    request = urllib.request.Request(
        f"{node.http_url}/api/channels/{channel_id}/messages",
        headers={"Authorization": f"Bearer {access_token(user)}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["results"]


def _post_message(node, user, channel_id: int, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{node.http_url}/api/channels/{channel_id}/messages",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {access_token(user)}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
