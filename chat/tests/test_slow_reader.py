"""A client that stops reading is closed (4503) once its unsent frames pass the node's limit.

The node keeps at most CHAT_OUTBOUND_LIMIT_BYTES unsent per connection whatever the server
does with its own buffers: the reader that stalls is cut off, the node's memory stays bounded,
the other members get every message, and the stalled client, back to reading, resumes with
since_seq and misses nothing.
"""

import asyncio
import contextlib
import json
import socket

import pytest
import websockets

from chat.realtime.session import REPLAY_STALL_SECONDS
from chat.tests.live import Client, WebNode, access_token, request_json, rss_bytes
from ops.tests.scrape import value, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

LIMIT_BYTES = 256 * 1024
BODY = "x" * 3900
MESSAGES = 1600  # 6.2 MB for each member: more than the limit and the kernel's buffers (up to 4 MB)


@pytest.fixture(scope="module")
def tight_node(server_environment):
    env = {**server_environment, "CHAT_SEND_RATE_PER_SECOND": "5000", "CHAT_SEND_BURST": "5000"}
    node = WebNode({**env, "CHAT_OUTBOUND_LIMIT_BYTES": str(LIMIT_BYTES)}, "node-tight")
    yield node
    node.stop()


async def _stalled_client(node: WebNode, user) -> websockets.ClientConnection:
    """A client whose socket takes 4 KiB at most and that reads nothing until told."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", node.port))
    return await websockets.connect(
        node.ws_url,
        sock=sock,
        additional_headers={"Authorization": f"Bearer {access_token(user)}"},
        origin="http://127.0.0.1",
        max_queue=1,  # the library stops reading the socket when one frame waits
        max_size=2**20,
    )


async def test_a_client_that_stops_reading_is_closed_and_resumes_without_loss(tight_node, room):
    channel, (alice, bob, carol) = await room("alice", "bob", "carol")
    rss_before = rss_bytes(tight_node.popen.pid)
    stalled = await _stalled_client(tight_node, carol)
    await stalled.send(json.dumps({"type": "subscribe", "channel": channel.pk}))
    assert '"subscribed"' in await stalled.recv()
    reader = await Client.subscribed(tight_node.ws_url, bob, channel.pk)
    sender = await Client.connect(tight_node.ws_url, alice)

    received: list[int] = []

    async def read_everything():
        while len(received) < MESSAGES:
            frame = await reader.recv(timeout=30)
            if frame["type"] == "message":
                received.append(frame["seq"])

    reading = asyncio.create_task(read_everything())
    for i in range(MESSAGES):
        await sender.send(type="send", channel=channel.pk, body=BODY, client_msg_id=f"big-{i}")
        if i % 100 == 99:
            await sender.flush()  # the acks so far: the sender reads as it goes
    await sender.flush()
    await asyncio.wait_for(reading, 60)
    await wait_until(
        lambda: value(f"{tight_node.http_url}/metrics", "chat_slow_clients_closed_total") >= 1,
        what="the node closing the stalled client",
    )
    rss_after = rss_bytes(tight_node.popen.pid)

    # Back to reading: what fitted in the buffers, then the close.
    seen = []
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            frame = json.loads(await asyncio.wait_for(stalled.recv(), 10))
            if frame["type"] == "message":
                seen.append(frame["seq"])
    assert stalled.close_code == 4503
    assert len(seen) < MESSAGES

    # The stalled client comes back and resumes after the last seq it saw.
    back = await Client.connect(tight_node.ws_url, carol)
    await back.send(type="subscribe", channel=channel.pk, since_seq=max(seen, default=0))
    replay = []
    while len(replay) < MESSAGES - max(seen, default=0):
        frame = await back.recv(timeout=30)
        if frame["type"] == "message":
            replay.append(frame["seq"])
    assert seen + replay == list(range(1, MESSAGES + 1))

    assert received == list(range(1, MESSAGES + 1))  # the reading member was not held back
    # 6.2 MB went to each of three members; the stalled one cost the node at most its limit.
    assert rss_after - rss_before < 40 * 1024 * 1024
    for client in (reader, sender, back):
        await client.close()


HISTORY = 1400  # 5.5 MB: more than the kernel's buffers hold, so a replay waits on the reader


async def _long_history(node: WebNode, sender_user, channel) -> None:
    sender = await Client.connect(node.ws_url, sender_user)
    for i in range(HISTORY):
        await sender.send(type="send", channel=channel.pk, body=BODY, client_msg_id=f"old-{i}")
        if i % 100 == 99:
            await sender.flush()
    await sender.flush()
    await sender.close()


async def test_a_client_catching_up_is_still_answered_and_can_stop_the_replay(tight_node, room):
    """A replay is paced by the client's reading, minutes on a slow link: the connection's other
    frames are answered meanwhile (so it is not taken for idle), and an unsubscribe ends it."""
    channel, (alice, bob) = await room("alice", "bob")
    await _long_history(tight_node, alice, channel)
    catching_up = await _stalled_client(tight_node, bob)
    for frame in ({"type": "subscribe", "channel": channel.pk, "since_seq": 0}, {"type": "ping"}):
        await catching_up.send(json.dumps(frame))
    await catching_up.send(json.dumps({"type": "unsubscribe", "channel": channel.pk}))
    await asyncio.sleep(1)

    frames = []
    with contextlib.suppress(TimeoutError):
        while True:
            frames.append(json.loads(await asyncio.wait_for(catching_up.recv(), 3)))
    told = frames.index({"type": "unsubscribed", "channel": channel.pk})
    assert {"type": "pong"} in frames[:told]
    replayed = [f["seq"] for f in frames[:told] if f["type"] == "message"]
    assert replayed == list(range(1, len(replayed) + 1)) and len(replayed) < HISTORY
    assert [f for f in frames[told:] if f["type"] == "message"] == []
    await catching_up.close()


async def test_a_replay_stops_where_the_member_is_removed(tight_node, room):
    """A member catching up on a long history is removed while the replay waits on their reading:
    once they are told (unsubscribed), nothing more of the channel comes, replay included."""
    channel, (alice, bob, carol) = await room("alice", "bob", "carol")  # alice owns it
    await _long_history(tight_node, alice, channel)
    catching_up = await _stalled_client(tight_node, carol)
    await catching_up.send(json.dumps({"type": "subscribe", "channel": channel.pk, "since_seq": 0}))
    await asyncio.sleep(1)  # the replay fills the buffers and waits
    await asyncio.to_thread(request_json, tight_node, "DELETE", f"/api/channels/{channel.pk}/members/{carol.pk}", alice)

    frames = []
    with contextlib.suppress(TimeoutError):
        while True:
            frames.append(json.loads(await asyncio.wait_for(catching_up.recv(), 3)))
    told = frames.index({"type": "unsubscribed", "channel": channel.pk, "reason": "not_a_member"})
    replayed = [f["seq"] for f in frames[:told] if f["type"] == "message"]
    assert replayed == list(range(1, len(replayed) + 1)) and len(replayed) < HISTORY
    assert [f for f in frames[told:] if f["type"] == "message"] == []
    await catching_up.close()


async def test_a_client_that_stops_reading_during_a_replay_is_closed_not_left_half_subscribed(tight_node, room):
    """Nothing read for longer than a replay waits (30 s): the connection is closed (4503, or a
    drop when even the close cannot pass) and the client resumes; before, it stayed open with the
    room stuck in its replay, holding live messages for good."""
    channel, (alice, bob) = await room("alice", "bob")
    await _long_history(tight_node, alice, channel)
    stalled = await _stalled_client(tight_node, bob)
    await stalled.send(json.dumps({"type": "subscribe", "channel": channel.pk, "since_seq": 0}))
    await asyncio.sleep(REPLAY_STALL_SECONDS + 3)
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            await asyncio.wait_for(stalled.recv(), 10)
    assert stalled.close_code in (4503, 1006, None)
