"""One set of rules for a message, over REST and the WebSocket, applied before it gets a seq.

Text the store could refuse is refused at the door, the same way on both paths, and leaves
no hole in the channel's seq. A message the store refuses anyway (its channel deleted while
it waited in Redis) becomes a dead letter, and the rest of its batch is stored.
"""

import json
import urllib.error
import urllib.request

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from channels_app.tests.factories import channel_with_members
from chat.models import DeadLetter, Message
from chat.persistence import persist_pending_messages
from chat.services import message_send
from chat.tests.live import Client, access_token
from conftest import EMBEDDED

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED_BODIES = ["", "a\x00b", "\ud800", "x\udfff", "a" * 4001, 5, None, True, [], {"body": "hi"}]


def _post(node, user, channel_id: int, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{node.http_url}/api/channels/{channel_id}/messages",
        data=json.dumps(payload).encode(),  # ASCII: a lone surrogate travels escaped, as JSON allows
        headers={"Authorization": f"Bearer {access_token(user)}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.asyncio
@pytest.mark.parametrize("body", REFUSED_BODIES, ids=repr)
async def test_rest_and_websocket_refuse_the_same_bodies_and_skip_no_seq(two_nodes, body):
    channel, (alice,) = await sync_to_async(channel_with_members)(name="rules", usernames=["alice"])
    node = two_nodes[0]
    status, refusal = await sync_to_async(_post)(node, alice, channel.pk, {"body": body, "client_msg_id": "rest-1"})
    assert status == 400 and refusal["code"] == "invalid" and "body" in refusal["fields"]

    client = await Client.connect(node.ws_url, alice)
    await client.connection.send(
        json.dumps({"type": "send", "channel": channel.pk, "body": body, "client_msg_id": "ws-1"})
    )
    error = (await client.recv_until(lambda f: f["type"] in ("ack", "error")))[-1]
    assert error["type"] == "error" and error["code"] in ("bad_request", "too_large")
    await client.send(type="send", channel=channel.pk, body="after", client_msg_id="ws-2")
    ack = (await client.recv_until(lambda f: f["type"] in ("ack", "error")))[-1]
    assert (ack["type"], ack["seq"]) == ("ack", 1)  # nothing refused took a seq
    await client.close()


@pytest.mark.parametrize("client_msg_id", ["", "a" * 65, "id\x00", "\ud800"], ids=repr)
def test_a_client_msg_id_the_store_could_not_keep_is_refused(client_msg_id):
    channel, (alice,) = channel_with_members(name="ids", usernames=["alice"])
    with pytest.raises(Exception) as refused:
        async_to_sync(message_send)(
            channel_id=channel.pk, sender_id=alice.pk, sender_username="alice", body="hi", client_msg_id=client_msg_id
        )
    assert getattr(refused.value, "code", None) == "invalid"


@pytest.mark.skipif(EMBEDDED, reason="the embedded mode stores each message as it is sent: no batch to spoil")
def test_a_message_the_store_refuses_becomes_a_dead_letter_and_the_batch_goes_on():
    kept, (alice,) = channel_with_members(name="kept", usernames=["alice"])
    doomed, (bob,) = channel_with_members(name="doomed", usernames=["bob"])
    for i in range(5):
        for channel, user in ((kept, alice), (doomed, bob)):
            async_to_sync(message_send)(
                channel_id=channel.pk,
                sender_id=user.pk,
                sender_username=user.username,
                body=f"m{i}",
                client_msg_id=f"{i}",
            )
    doomed_id = doomed.pk
    doomed.delete()  # its messages wait in Redis for a channel that is gone

    written = persist_pending_messages()

    assert written == 5
    assert list(Message.objects.filter(channel=kept).order_by("seq").values_list("body", flat=True)) == [
        f"m{i}" for i in range(5)
    ]
    letters = DeadLetter.objects.order_by("seq")
    assert [(letter.channel_id, letter.seq) for letter in letters] == [(doomed_id, seq) for seq in range(1, 6)]
    assert all("IntegrityError" in letter.error for letter in letters)
    assert json.loads(letters[0].payload)["body"] == "m0"
    assert persist_pending_messages() == 0  # nothing left to block the stream
