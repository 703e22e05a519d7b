"""A connection remembers its memberships (no query per send), and forgets one when the user leaves."""

import asyncio

import pytest

from chat.tests.live import Client, post_json

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_after_leaving_through_the_api_the_socket_can_no_longer_send(two_nodes, room):
    channel, (alice, bob) = await room("alice", "bob")
    node_a, node_b = two_nodes
    b = await Client.connect(node_b.ws_url, bob)
    await b.send(type="send", channel=channel.pk, body="still here", client_msg_id="before")
    assert (await b.recv_until(lambda f: f["type"] in ("ack", "error")))[-1]["type"] == "ack"

    post_json(node_a, f"/api/channels/{channel.pk}/leave", bob, {})  # the other node: only the event can tell b's

    # The leave reaches b's connection as an event just after the API answers; from then on
    # every send is refused. Try until it is (each try a new message id), within seconds.
    for attempt in range(50):
        await b.send(type="send", channel=channel.pk, body="gone", client_msg_id=f"after-{attempt}")
        reply = (await b.recv_until(lambda f: f["type"] in ("ack", "error")))[-1]
        if reply["type"] == "error":
            break
        await asyncio.sleep(0.1)
    assert reply["type"] == "error" and reply["code"] == "forbidden"
    await b.close()
