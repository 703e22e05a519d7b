"""A member who leaves, or whom the owner removes, receives nothing more from the channel, on
every node, from the moment the leave or the removal is answered; their sockets hear that their
subscription ended."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from channels_app.services import channel_create, channel_join
from chat.tests.live import Client, post_json, request_json

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _leave(node, channel, *, owner, member):
    post_json(node, f"/api/channels/{channel.pk}/leave", member, {})


def _removal(node, channel, *, owner, member):
    request_json(node, "DELETE", f"/api/channels/{channel.pk}/members/{member.pk}", owner)


@pytest.mark.parametrize("end_membership", [_leave, _removal], ids=["leave", "removal"])
async def test_after_the_leave_is_answered_no_node_delivers_the_channel_to_the_member(two_nodes, end_membership, room):
    channel, (alice, bob) = await room("alice", "bob")  # alice owns the channel
    node_a, node_b = two_nodes
    sender = await Client.connect(node_a.ws_url, alice)
    bob_here = await Client.connect(node_a.ws_url, bob)
    bob_there = await Client.connect(node_b.ws_url, bob)
    for client in (sender, bob_here, bob_there):
        await client.subscribe(channel.pk)

    await sender.send(type="send", channel=channel.pk, body="before", client_msg_id="before")
    for client in (bob_here, bob_there):
        assert (await client.recv_until(lambda f: f["type"] == "message"))[-1]["body"] == "before"

    await sync_to_async(end_membership)(node_b, channel, owner=alice, member=bob)
    for i in range(20):  # at once: no grace period for the other node to catch up
        await sender.send(type="send", channel=channel.pk, body=f"after {i}", client_msg_id=f"after-{i}")
    frames = await sender.recv_until(lambda f: f.get("client_msg_id") == "after-19" and f["type"] == "ack")
    assert len([f for f in frames if f["type"] == "ack" and f["client_msg_id"].startswith("after-")]) == 20
    await asyncio.sleep(0.5)  # whatever a node would still deliver arrives meanwhile

    for client in (bob_here, bob_there):
        frames = await client.flush()
        assert [f for f in frames if f["type"] == "message"] == []
        assert {"type": "unsubscribed", "channel": channel.pk, "reason": "not_a_member"} in frames
        await client.send(type="subscribe", channel=channel.pk)
        assert (await client.recv())["code"] == "forbidden"
    for client in (sender, bob_here, bob_there):
        await client.close()


RACES = 60  # an outside attack saw 3 leaks in 200 such races before the fix


async def test_a_subscribe_racing_the_removal_never_outlives_it(two_nodes, room):
    """The member's subscribe and the owner's removal at the same moment, on a room no one has
    opened yet: however they interleave, nothing the channel gets after the removal is answered
    reaches the removed member (before the fix the subscribe could join after the removal's
    notice went by, and stay subscribed for good)."""
    _, (alice, bob) = await room("alice", "bob")
    node_a, node_b = two_nodes
    bob_socket = await Client.connect(node_b.ws_url, bob)
    markers = {}
    for race in range(RACES):
        channel = await sync_to_async(channel_create)(owner=alice, name=f"race {race}")
        await sync_to_async(channel_join)(user=bob, channel=channel)
        removal = asyncio.create_task(sync_to_async(_removal)(node_a, channel, owner=alice, member=bob))
        await asyncio.sleep(race % 5 * 0.003)  # the subscribe lands before, during or after the removal
        await bob_socket.send(type="subscribe", channel=channel.pk)
        await removal
        marker = await sync_to_async(post_json)(
            node_a, f"/api/channels/{channel.pk}/messages", alice, {"body": f"after removal {race}"}
        )
        markers[channel.pk] = marker["seq"]
    await asyncio.sleep(0.5)  # whatever a node would still deliver arrives meanwhile
    frames = await bob_socket.flush()
    assert [f for f in frames if f["type"] == "message" and f["channel"] in markers] == []
    await bob_socket.close()
