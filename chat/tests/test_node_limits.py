"""Limits a web node enforces whatever web server it runs on (docs/api.md v3), over real sockets.

One user may hold CHAT_MAX_CONNECTIONS_PER_USER sockets on a node; a message over the byte limit
is refused before the node holds it whole, so no signed-in user can fill a node's memory.
"""

import asyncio

import pytest
import websockets

from chat.realtime.protocol import CLOSE_TOO_MANY_CONNECTIONS
from chat.tests.live import Client, rss_bytes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

MIB = 1024 * 1024


async def _closed_code(client: Client) -> int:
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            await client.recv()
    return client.connection.close_code


async def test_a_users_21st_socket_is_closed_4409_and_a_freed_place_is_taken_again(two_nodes, room):
    channel, (alice, bob) = await room("alice", "bob")
    node = two_nodes[0]
    sockets = [await Client.connect(node.ws_url, alice) for _ in range(20)]
    for client in sockets:
        assert await client.flush() == []  # every one of the 20 is served

    one_too_many = await Client.connect(node.ws_url, alice)  # the handshake succeeds: the client hears why
    assert await _closed_code(one_too_many) == CLOSE_TOO_MANY_CONNECTIONS == 4409
    other_user = await Client.connect(node.ws_url, bob)  # the cap is per user, not per node
    assert (await other_user.subscribe(channel.pk))["type"] == "subscribed"

    await sockets.pop().close()
    for _ in range(50):  # the node hears of the close a moment after the client's close handshake
        again = await Client.connect(node.ws_url, alice)
        try:
            assert (await again.subscribe(channel.pk))["type"] == "subscribed"
            break
        except websockets.ConnectionClosed:
            assert again.connection.close_code == 4409
            await asyncio.sleep(0.1)
    sockets.append(again)
    for client in [*sockets, other_user]:
        await client.close()


async def test_a_40_mb_message_in_1_mb_fragments_is_refused_before_the_node_holds_it(two_nodes, room):
    channel, (alice,) = await room("alice")
    node = two_nodes[0]
    flooder = await Client.subscribed(node.ws_url, alice, channel.pk)
    rss_before = rss_bytes(node.popen.pid)

    async def fragments():
        yield f'{{"type":"send","channel":{channel.pk},"client_msg_id":"big","body":"'
        for _ in range(40):
            yield "x" * MIB

    refused = False
    try:
        await flooder.connection.send(fragments())
        # A server that answers instead of closing:
        refused = (await flooder.recv_until(lambda frame: frame["type"] == "error"))[-1]["code"] == "too_large"
    except websockets.ConnectionClosed:
        refused = flooder.connection.close_code in (1009, 1006)  # 1006: the reset of a client still sending
    assert refused
    assert rss_bytes(node.popen.pid) - rss_before < 15 * MIB

    # The node is none the worse: the same user connects and sends as before.
    again = await Client.subscribed(node.ws_url, alice, channel.pk)
    await again.send(type="send", channel=channel.pk, body="still here", client_msg_id="small")
    frames = await again.recv_until(lambda frame: frame["type"] == "ack")
    assert frames[-1]["client_msg_id"] == "small"
    await again.close()
