"""Club life in the chat (API.md "Additions (v3)"): the channel's notice (공지) and polls, over REST
and real sockets on two nodes."""

import pytest

from chat.tests.live import Client
from chat.tests.test_message_changes import _send, call
from chat.tests.test_websocket import _room

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _of(kind: str):
    return lambda frame: frame["type"] == kind


async def test_the_owner_pins_a_notice_and_every_member_sees_it_live_until_it_is_taken_down(two_nodes):
    channel, (alice, bob) = await _room("alice", "bob")
    node_a, node_b = two_nodes
    a = await Client.connect(node_a.ws_url, alice)
    b = await Client.connect(node_b.ws_url, bob)
    for client in (a, b):
        await client.subscribe(channel.pk)
    ack = await _send(a, channel.pk, "Hike on Saturday, 9:00 at the station", "plan")
    path = f"/api/channels/{channel.pk}/notice"

    assert (await call(node_b, "POST", path, bob, {"message_id": ack["id"]}))[0] == 403  # not the owner
    status, body = await call(node_a, "POST", path, alice, {"message_id": ack["id"]})
    assert status == 200
    assert (body["id"], body["notice"]["id"], body["notice"]["seq"]) == (channel.pk, ack["id"], ack["seq"])
    frame = (await b.recv_until(_of("channel_updated")))[-1]
    assert (frame["channel"], frame["notice"]["body"]) == (channel.pk, "Hike on Saturday, 9:00 at the station")
    status, seen = await call(node_b, "GET", f"/api/channels/{channel.pk}", bob)
    assert seen["notice"]["body"] == "Hike on Saturday, 9:00 at the station"

    # The notice follows its message: edited, it changes; deleted, it comes down.
    edited = "Hike on Saturday, 10:00 at the station"
    assert (await call(node_a, "PATCH", f"/api/channels/{channel.pk}/messages/{ack['id']}", alice, {"body": edited}))[
        0
    ] == 200
    frame = (await b.recv_until(_of("channel_updated")))[-1]
    assert frame["notice"]["body"] == edited
    assert (await call(node_a, "DELETE", f"/api/channels/{channel.pk}/messages/{ack['id']}", alice))[0] == 204
    frame = (await b.recv_until(_of("channel_updated")))[-1]
    assert frame["notice"] is None
    assert (await call(node_b, "GET", f"/api/channels/{channel.pk}", bob))[1]["notice"] is None

    # Pinned again and taken down by the owner.
    second = await _send(b, channel.pk, "Dues are due Friday", "dues")
    assert (await call(node_a, "POST", path, alice, {"message_id": second["id"]}))[0] == 200
    assert (await b.recv_until(_of("channel_updated")))[-1]["notice"]["id"] == second["id"]
    assert (await call(node_b, "DELETE", path, bob))[0] == 403
    assert (await call(node_a, "DELETE", path, alice))[0] == 204
    assert (await b.recv_until(_of("channel_updated")))[-1]["notice"] is None
    assert (await call(node_a, "DELETE", path, alice))[0] == 404
    for client in (a, b):
        await client.close()


async def test_a_notice_must_be_a_message_of_the_channel(two_nodes):
    channel, (alice,) = await _room("alice")
    other, (carol,) = await _room("carol")
    node_a, _node_b = two_nodes
    c = await Client.connect(node_a.ws_url, carol)
    await c.subscribe(other.pk)
    elsewhere = await _send(c, other.pk, "not yours", "elsewhere")
    path = f"/api/channels/{channel.pk}/notice"
    for message_id in (elsewhere["id"], "0" * 32, "not-an-id"):
        status, body = await call(node_a, "POST", path, alice, {"message_id": message_id})
        assert (status, body["code"], list(body["fields"])) == (400, "invalid", ["message_id"])
    assert (await call(node_a, "GET", f"/api/channels/{channel.pk}", alice))[1]["notice"] is None
    await c.close()
