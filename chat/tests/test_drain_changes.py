"""A node drain loses no change to a message and no read receipt: Bob's node drains just after
he read, and while he moves to the other node Alice edits one message, deletes another, reacts
to a third and reads. Bob resumes there with since_seq and since_version and gets every change,
his read marker was kept, and the snapshot after the replay has Alice's read."""

import pytest
from asgiref.sync import sync_to_async

from channels_app.models import Membership
from chat.tests.live import Client, WebNode, call
from conftest import EMBEDDED

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
    pytest.mark.skipif(EMBEDDED, reason="a drain moves clients to another node; the embedded mode is one process"),
]

CHANGES = ("message_edited", "message_deleted", "reactions")


@pytest.fixture
def draining_node(server_environment):
    node = WebNode(server_environment, "node-draining")
    yield node
    node.stop()


@sync_to_async
def _marker(channel_id: int, user) -> int:
    return Membership.objects.get(channel_id=channel_id, user=user).last_read_seq


async def test_an_edit_a_deletion_a_reaction_and_reads_survive_a_node_drain(two_nodes, draining_node, room):
    channel, (alice, bob) = await room("alice", "bob")
    other = two_nodes[0]
    a = await Client.connect(other.ws_url, alice)
    b = await Client.connect(draining_node.ws_url, bob)
    await a.subscribe(channel.pk)
    await b.subscribe(channel.pk)
    sent = [await a.send_message(channel.pk, f"m{number}", f"m{number}") for number in range(1, 4)]
    await b.recv_until(lambda f: f["type"] == "message" and f["seq"] == 3)
    await b.send(type="read", channel=channel.pk, seq=3)  # gathered by the draining node for half a second
    await sync_to_async(draining_node.drain)()
    await b.recv_until(lambda f: f["type"] == "reconnect", timeout=15)
    await b.close()  # bob has seq 3 and version 0

    path = f"/api/channels/{channel.pk}/messages"
    assert (await call(other, "PATCH", f"{path}/{sent[0]['id']}", alice, {"body": "m1, edited"}))[0] == 200
    assert (await call(other, "DELETE", f"{path}/{sent[1]['id']}", alice))[0] == 204
    assert (await call(other, "POST", f"{path}/{sent[2]['id']}/reactions", alice, {"emoji": "👍"}))[0] == 200
    await a.send(type="read", channel=channel.pk, seq=3)
    await a.recv_until(lambda f: f["type"] == "read_receipts" and {"user": alice.pk, "seq": 3} in f["reads"])
    assert await sync_to_async(draining_node.wait_exit)() == 0

    b = await Client.connect(other.ws_url, bob)
    await b.send(type="subscribe", channel=channel.pk, since_seq=3, since_version=0)
    frames = await b.recv_until(lambda f: f["type"] == "read_receipts", timeout=15)
    changes = {(f["type"], f["id"]): f for f in frames if f["type"] in CHANGES}
    assert changes[("message_edited", sent[0]["id"])]["body"] == "m1, edited"
    assert ("message_deleted", sent[1]["id"]) in changes
    assert changes[("reactions", sent[2]["id"])]["reactions"] == {"👍": 1}
    assert frames[0]["type"] == "subscribed" and frames[0]["last_version"] == 3
    assert sorted((r["user"], r["seq"]) for r in frames[-1]["reads"]) == [(alice.pk, 3), (bob.pk, 3)]
    assert await _marker(channel.pk, bob) == 3
    for client in (a, b):
        await client.close()
