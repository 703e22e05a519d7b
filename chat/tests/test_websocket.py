"""The /ws/ protocol over real sockets: two web nodes (chat.realtime.server) sharing Redis and PostgreSQL."""

import asyncio
import socket

import pytest
import websockets
from asgiref.sync import sync_to_async

from accounts.tests.factories import UserFactory
from chat.tests.live import Client, WebNode, access_token, post_json
from conftest import EMBEDDED

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.mark.redis_modes
async def test_users_on_different_processes_chat(two_nodes, room):
    channel, (alice, bob) = await room("alice", "bob")
    node_a, node_b = two_nodes
    a = await Client.connect(node_a.ws_url, alice)
    b = await Client.connect(node_b.ws_url, bob)
    assert (await a.subscribe(channel.pk)) == {
        "type": "subscribed",
        "channel": channel.pk,
        "last_seq": 0,
        "last_version": 0,
    }
    await b.subscribe(channel.pk)
    await a.send(type="send", channel=channel.pk, body="hello bob", client_msg_id="m1")
    # The ack and the sender's own copy may come in either order.
    a_frames = []
    while not {"ack", "message"} <= {f["type"] for f in a_frames}:
        a_frames.append(await a.recv())
    ack = next(f for f in a_frames if f["type"] == "ack")
    assert [f["seq"] for f in a_frames if f["type"] == "message"] == [1]
    message = (await b.recv_until(lambda f: f["type"] == "message"))[-1]
    assert message["body"] == "hello bob" and message["seq"] == 1 == ack["seq"]
    assert message["sender"] == {"id": alice.pk, "username": "alice"}
    assert message["id"] == ack["id"]
    await b.send(type="send", channel=channel.pk, body="hi alice", client_msg_id="m2")
    reply = (await a.recv_until(lambda f: f["type"] == "message"))[-1]
    assert (reply["body"], reply["seq"]) == ("hi alice", 2)
    metrics_b = _metrics(node_b)
    assert metrics_b["chat_connections_open"] >= 1
    assert metrics_b["chat_messages_in_total"] >= 1
    assert metrics_b["chat_delivery_latency_seconds_count"] >= 2
    assert metrics_b["chat_frames_out_total"] >= 3
    await a.close()
    await b.close()


def _metrics(node) -> dict[str, float]:
    import urllib.request

    with urllib.request.urlopen(f"{node.http_url}/metrics", timeout=5) as response:
        lines = response.read().decode().splitlines()
    return {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in lines
        if line and not line.startswith("#") and "{" not in line
    }


@pytest.mark.redis_modes
async def test_resume_replays_exactly_the_missed_messages(two_nodes, room):
    channel, (alice, bob) = await room("alice", "bob")
    node_a, node_b = two_nodes
    b = await Client.subscribed(node_b.ws_url, bob, channel.pk)
    await b.close()
    a = await Client.connect(node_a.ws_url, alice)
    for i in range(200):
        await a.send(type="send", channel=channel.pk, body=f"n{i}", client_msg_id=f"burst-{i}")
    acks = [
        f
        for f in await a.recv_until(lambda f: f.get("client_msg_id") == "burst-199" and f["type"] == "ack", timeout=30)
        if f["type"] == "ack"
    ]
    assert len(acks) == 200
    b = await Client.connect(node_b.ws_url, bob)
    subscribed = await b.subscribe(channel.pk, since_seq=0)
    assert subscribed["last_seq"] == 200
    # The replay runs beside the connection's other frames: read until its last message.
    received = await b.recv_until(lambda f: f["type"] == "message" and f["seq"] == 200)
    frames = [f for f in received + await b.flush() if f["type"] == "message"]
    assert [f["seq"] for f in frames] == list(range(1, 201))
    assert [f["body"] for f in frames] == [f"n{i}" for i in range(200)]
    await a.close()
    await b.close()


@pytest.mark.redis_modes
async def test_repeated_client_msg_id_is_one_message_and_identical_acks(two_nodes, room):
    channel, (alice, bob) = await room("alice", "bob")
    node_a, node_b = two_nodes
    b = await Client.subscribed(node_b.ws_url, bob, channel.pk)
    a = await Client.connect(node_a.ws_url, alice)
    for _ in range(3):
        await a.send(type="send", channel=channel.pk, body="once", client_msg_id="same")
    acks = [f for f in await a.flush() if f["type"] == "ack"]
    assert len(acks) == 3 and acks[0] == acks[1] == acks[2]
    await asyncio.sleep(0.3)
    delivered = [f for f in await b.flush() if f["type"] == "message"]
    assert [f["body"] for f in delivered] == ["once"]
    await a.close()
    await b.close()


async def test_non_member_subscribe_and_send_are_forbidden(two_nodes, room):
    channel, _ = await room("alice")
    mallory = await sync_to_async(UserFactory)(username="mallory")
    m = await Client.connect(two_nodes[0].ws_url, mallory)
    assert (await m.subscribe(channel.pk))["code"] == "forbidden"
    await m.send(type="send", channel=channel.pk, body="spam", client_msg_id="x")
    error = (await m.recv_until(lambda f: f["type"] == "error"))[-1]
    assert (error["code"], error["channel"], error["client_msg_id"]) == ("forbidden", channel.pk, "x")
    await m.close()


async def test_bad_origin_is_refused_and_no_credentials_close_4401(two_nodes):
    user = await sync_to_async(UserFactory)()
    with pytest.raises(websockets.InvalidStatus) as refused:
        await Client.connect(two_nodes[0].ws_url, user, origin="http://evil.example.com")
    assert refused.value.response.status_code == 403
    anonymous = await Client.connect(two_nodes[0].ws_url)
    with pytest.raises(websockets.ConnectionClosed):
        await anonymous.recv()
    assert anonymous.connection.close_code == 4401


async def test_a_channel_that_does_not_exist_is_forbidden_like_one_of_others_as_the_docs_say(two_nodes, room):
    # docs/websocket.md: "no such channel" is `forbidden` (the socket does not tell whether a
    # channel id exists) and `not_found` is not sent; every frame that names a channel agrees.
    channel, (alice,) = await room("alice")
    missing = channel.pk + 1000
    a = await Client.connect(two_nodes[0].ws_url, alice)
    for frame in (
        {"type": "subscribe", "channel": missing},
        {"type": "send", "channel": missing, "body": "hi", "client_msg_id": "x1"},
        {"type": "typing", "channel": missing},
        {"type": "read", "channel": missing, "seq": 1},
    ):
        await a.send(**frame)
        error = await a.recv()
        assert (error["type"], error["code"], error["channel"]) == ("error", "forbidden", missing), frame
    await a.send(type="ping")
    assert await a.recv() == {"type": "pong"}
    await a.close()


async def test_bad_frames_get_errors_and_the_connection_survives(two_nodes, room):
    channel, (alice,) = await room("alice")
    a = await Client.connect(two_nodes[0].ws_url, alice)
    await a.connection.send("{not json")
    assert (await a.recv())["code"] == "bad_request"
    await a.send(type="teleport")
    assert (await a.recv())["code"] == "bad_request"
    await a.send(type="subscribe", channel="general")
    assert (await a.recv())["code"] == "bad_request"
    await a.send(type="send", channel=channel.pk, body="x" * 4001, client_msg_id="long")
    assert (await a.recv())["code"] == "too_large"
    await a.send(type="send", channel=channel.pk, body="", client_msg_id="empty")
    assert (await a.recv())["code"] == "bad_request"
    await a.connection.send("x" * (64 * 1024 + 1))
    assert (await a.recv())["code"] == "too_large"
    await a.send(type="ping")
    assert await a.recv() == {"type": "pong"}
    await a.close()


async def test_flooding_is_rate_limited_then_closed_4429(strict_node, room):
    channel, (alice,) = await room("alice")
    a = await Client.connect(strict_node.ws_url, alice)
    for i in range(100):
        try:
            await a.send(type="send", channel=channel.pk, body="flood", client_msg_id=f"f{i}")
        except websockets.ConnectionClosed:
            break
    replies = []
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            replies.append(await a.recv())
    assert [r["type"] for r in replies[:10]] == ["ack"] * 10
    assert {"type": "error", "code": "rate_limited"}.items() <= replies[10].items()
    assert a.connection.close_code == 4429


@pytest.mark.skipif(EMBEDDED, reason="the busy room is fed from another node, through Redis")
async def test_a_subscribed_socket_that_floods_gets_its_rate_limited_errors_before_the_4429(
    strict_node, two_nodes, room
):
    # Subscribed, a socket has the room's messages queued for it too; the 4429 close used to
    # overtake them and the rate_limited errors behind them, so the sender could not tell why it
    # was closed. Here the room is busy (bob, on another node) while alice floods without reading.
    # Over loopback the kernel's buffers take the room's frames at once, so this passes without the
    # wait too: test_session's slow-phone test holds them in the outbox and fails without it.
    channel, (alice, bob) = await room("alice", "bob")
    small = socket.create_connection(("127.0.0.1", strict_node.port))  # a phone's small buffers, not loopback's
    small.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    headers = {"Authorization": f"Bearer {access_token(alice)}"}
    a = Client(await websockets.connect(strict_node.ws_url, sock=small, additional_headers=headers, max_queue=1))
    b = await Client.connect(two_nodes[0].ws_url, bob)
    await a.subscribe(channel.pk)
    await a.flush()  # read_receipts and presence
    for i in range(60):
        await b.send(type="send", channel=channel.pk, body="가" * 2000, client_msg_id=f"b{i}")
    await b.recv_until(lambda frame: frame.get("client_msg_id") == "b59")
    for i in range(100):
        try:
            await a.send(type="send", channel=channel.pk, body="flood", client_msg_id=f"f{i}")
        except websockets.ConnectionClosed:
            break
    replies = []
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            replies.append(await a.recv())
    errors = [r for r in replies if r["type"] == "error"]
    assert errors and {error["code"] for error in errors} == {"rate_limited"}
    assert [r["client_msg_id"] for r in replies if r["type"] == "ack"] == [f"f{i}" for i in range(10)]
    assert a.connection.close_code == 4429
    await b.close()


# 4429; or, when the flood is still arriving as the server closes, a reset (1006): granian does
# not read on after its close frame, and the client's kernel drops that frame on the reset.
CLOSED_FOR_FLOODING = (4429, 1006)


async def test_typing_and_subscribe_churn_are_limited_like_sends(strict_node, room):
    channel, (alice, bob) = await room("alice", "bob")
    a = await Client.connect(strict_node.ws_url, alice)
    b = await Client.connect(strict_node.ws_url, bob)
    await a.subscribe(channel.pk)
    await b.subscribe(channel.pk)
    for _ in range(200):  # one socket typing as fast as it can
        try:
            await a.send(type="typing", channel=channel.pk)
        except websockets.ConnectionClosed:
            break
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            await a.recv()
    assert a.connection.close_code in CLOSED_FOR_FLOODING
    typing_heard = [f for f in await b.flush() if f["type"] == "typing"]
    assert 1 <= len(typing_heard) <= 10  # the burst, not 200 (settings.CHAT_TYPING_BURST)

    churner = await Client.connect(strict_node.ws_url, bob)
    for _ in range(300):
        try:
            await churner.send(type="subscribe", channel=channel.pk)
            await churner.send(type="unsubscribe", channel=channel.pk)
        except websockets.ConnectionClosed:
            break
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            await churner.recv()
    assert churner.connection.close_code in CLOSED_FOR_FLOODING
    await b.close()


async def test_the_frame_limit_counts_bytes_not_characters(two_nodes, room):
    channel, (alice,) = await room("alice")
    a = await Client.connect(two_nodes[0].ws_url, alice)
    korean = '{"type":"ping","pad":"' + "가" * 22_000 + '"}'  # 22,000 characters, 66,000 bytes
    assert len(korean) < 64 * 1024 < len(korean.encode())
    await a.connection.send(korean)
    assert (await a.recv())["code"] == "too_large"
    await a.connection.send('{"type":"ping","pad":"' + "가" * 21_000 + '"}')  # 63,000 bytes: fine
    assert await a.recv() == {"type": "pong"}
    await a.close()


async def test_frames_before_the_4401_close_are_not_handled(two_nodes):
    node = two_nodes[0]
    anonymous = await websockets.connect(node.ws_url, origin="http://127.0.0.1")
    for frame in ('{"type":"ping"}', '{"type":"send","channel":1,"body":"x","client_msg_id":"a"}', "{bad"):
        try:
            await anonymous.send(frame)
        except websockets.ConnectionClosed:
            break
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            assert "pong" not in await asyncio.wait_for(anonymous.recv(), 10)
    # 4401, unless the frames reached a socket the server had already closed: then the client's
    # kernel drops the close frame on the server's reset (granian does not linger after a close).
    assert anonymous.close_code in (4401, 1006)
    await asyncio.sleep(0.2)
    assert "Traceback" not in node.log_path.read_text(errors="replace")


@pytest.mark.redis_modes
async def test_typing_reaches_others_and_member_events_reach_subscribers(two_nodes, alice_and_bob):
    channel, alice, bob, a, b = alice_and_bob
    await a.send(type="typing", channel=channel.pk)
    typing = (await b.recv_until(lambda f: f["type"] == "typing"))[-1]
    assert typing == {"type": "typing", "channel": channel.pk, "user": {"id": alice.pk, "username": "alice"}}
    assert [f for f in await a.flush() if f["type"] == "typing"] == []
    carol = await sync_to_async(UserFactory)(username="carol")
    await sync_to_async(post_json)(two_nodes[1], f"/api/channels/{channel.pk}/join", carol, {})
    joined = (await a.recv_until(lambda f: f["type"] == "event"))[-1]
    assert joined["event"] == "member_joined" and joined["data"]["user"]["username"] == "carol"


@pytest.mark.redis_modes
@pytest.mark.skipif(EMBEDDED, reason="the embedded mode writes to the store on send: no buffer, no worker")
async def test_acknowledged_messages_survive_a_killed_worker(two_nodes, worker_factory, room):
    from chat.selectors import messages_after
    from chat.stores import get_message_store

    channel, (alice,) = await room("alice")
    worker = worker_factory("celery-1")
    a = await Client.connect(two_nodes[0].ws_url, alice)
    for i in range(300):
        await a.send(type="send", channel=channel.pk, body=f"k{i}", client_msg_id=f"kill-{i}")
        if i == 150:
            worker.kill()
    acks = [f for f in await a.flush() if f["type"] == "ack"]
    assert len(acks) == 300
    worker_factory("celery-2")
    store = get_message_store()
    for _ in range(300):
        if await sync_to_async(store.max_seq)(channel_id=channel.pk) == 300:
            break
        await asyncio.sleep(0.1)
    stored = await sync_to_async(store.range)(channel_id=channel.pk, limit=1000)
    assert [m["seq"] for m in stored] == list(range(1, 301))
    history = await messages_after(channel_id=channel.pk, after_seq=0, limit=1000)
    assert {m["id"] for m in history} == {ack["id"] for ack in acks}
    await a.close()


async def test_a_silent_socket_is_closed_4408_and_one_that_pings_stays(server_environment, room):
    node = await sync_to_async(WebNode)({**server_environment, "CHAT_IDLE_TIMEOUT_SECONDS": "1"}, "node-idle")
    try:
        channel, (alice, bob) = await room("alice", "bob")
        silent = await Client.connect(node.ws_url, alice)
        talking = await Client.connect(node.ws_url, bob)
        for _ in range(8):  # two seconds and more, with a ping every quarter second
            await talking.send(type="ping")
            assert await talking.recv() == {"type": "pong"}
            await asyncio.sleep(0.25)
        with pytest.raises(websockets.ConnectionClosed):
            await silent.recv(timeout=5)
        assert silent.connection.close_code == 4408
        await talking.close()
    finally:
        await sync_to_async(node.stop)()
