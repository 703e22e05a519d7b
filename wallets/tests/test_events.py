"""Money events over real sockets: REST calls on one web node, WebSocket clients on another."""

import time

import pytest
from asgiref.sync import sync_to_async

from accounts.tests.factories import UserFactory
from channels_app.services import channel_create, channel_join
from chat.tests.live import Client, post_json, request_json
from wallets.services import transfers
from wallets.services import wallets as wallet_services
from wallets.tests.conftest import PIN

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@sync_to_async
def _club():
    treasurer, member = UserFactory(username="treasurer"), UserFactory(username="member")
    channel = channel_create(owner=treasurer, name="club")
    channel_join(user=member, channel=channel)
    wallets = {}
    for user in (treasurer, member):
        wallet = wallet_services.personal_wallet_open(owner=user, pin=PIN)
        transfers.wallet_deposit(actor=user, wallet_id=wallet.pk, amount=10_000)
        wallets[user.username] = wallet.pk
    group = wallet_services.group_wallet_create(owner=treasurer, channel_id=channel.pk, name="club fund")
    wallet_services.group_wallet_join(user=member, wallet=group)
    return treasurer, member, channel.pk, wallets, group.pk


async def _subscribed_pair(two_nodes, member, treasurer, channel: int) -> tuple[Client, Client]:
    """The member's socket on the second node and the treasurer's on the first, both in the channel."""
    watcher = await Client.connect(two_nodes[1].ws_url, member)
    keeper = await Client.connect(two_nodes[0].ws_url, treasurer)
    for connection in (watcher, keeper):
        await connection.subscribe(channel)
    return watcher, keeper


def _is_event(name):
    return lambda frame: frame["type"] == "event" and frame["event"] == name


@pytest.mark.redis_modes
async def test_transfer_received_reaches_every_connection_of_the_recipient(two_nodes):
    treasurer, member, _, wallets, _ = await _club()
    node_a, node_b = two_nodes
    phone = await Client.connect(node_b.ws_url, member)
    laptop = await Client.connect(node_a.ws_url, member)
    sender = await Client.connect(node_a.ws_url, treasurer)
    for connection in (phone, laptop, sender):
        await connection.flush()  # connected and listening
    body = {
        "from_wallet": wallets["treasurer"],
        "to_wallet": wallets["member"],
        "amount": 1_500,
        "pin": PIN,
        "memo": "refund",
    }
    transfer = await sync_to_async(post_json)(node_a, "/api/transfers", treasurer, body)
    for connection in (phone, laptop):
        event = (await connection.recv_until(_is_event("transfer_received")))[-1]
        assert event["data"]["transfer"] == transfer
        assert event["data"]["from"] == {"id": treasurer.pk, "username": "treasurer"}
        assert event["data"]["wallet"] == wallets["member"]
    assert [f for f in await sender.flush() if f["type"] == "event"] == []
    for connection in (phone, laptop, sender):
        await connection.close()


async def test_dues_are_announced_in_the_chat_and_payments_show_live(two_nodes):
    treasurer, member, channel, _, group = await _club()
    node_a, node_b = two_nodes
    watcher, keeper = await _subscribed_pair(two_nodes, member, treasurer, channel)
    dues = await sync_to_async(post_json)(
        node_a, f"/api/wallets/{group}/dues", treasurer, {"title": "May dues", "amount": 2_000}
    )

    frames = await watcher.recv_until(
        lambda f: f["type"] == "message" and f["client_msg_id"] == f"sys:dues:{dues['id']}"
    )
    requested = next(f for f in frames if f["type"] == "event" and f["event"] == "dues_requested")
    assert requested["channel"] == channel and requested["data"]["dues"]["id"] == dues["id"]
    assert requested["data"]["dues"]["paid_count"] == 0
    assert "May dues" in frames[-1]["body"] and frames[-1]["sender"]["username"] == "treasurer"

    payment = await sync_to_async(post_json)(node_b, f"/api/dues/{dues['id']}/pay", member, {"pin": PIN})
    for connection in (watcher, keeper):
        paid = (await connection.recv_until(_is_event("dues_paid")))[-1]
        assert paid["data"] == {
            "dues_id": dues["id"],
            "wallet": group,
            "user": {"id": member.pk, "username": "member"},
            "transfer_id": payment["id"],
        }
    received = (await keeper.recv_until(_is_event("transfer_received")))[-1]
    assert received["data"]["wallet"] == group and received["data"]["transfer"]["amount"] == 2_000
    await watcher.close()
    await keeper.close()


async def test_new_group_wallets_reminders_and_approvals_reach_open_sockets(two_nodes, worker_factory):
    """The v2 money events over real sockets: REST on one node, the clients on the other, and a
    worker for the reminder's task."""
    worker_factory("celery-money-events")
    treasurer, member, channel, wallets, group = await _club()
    node_a, node_b = two_nodes
    watcher = await Client.connect(node_b.ws_url, member)
    await watcher.subscribe(channel)

    created = await sync_to_async(post_json)(
        node_a, f"/api/channels/{channel}/group-wallets", treasurer, {"name": "trip"}
    )
    appeared = (await watcher.recv_until(_is_event("group_wallet_created")))[-1]
    assert appeared["channel"] == channel and appeared["data"]["wallet"]["id"] == created["id"]

    dues = await sync_to_async(post_json)(
        node_a, f"/api/wallets/{group}/dues", treasurer, {"title": "May", "amount": 500}
    )
    assert await sync_to_async(post_json)(node_a, f"/api/dues/{dues['id']}/remind", treasurer, {}) == {"reminded": 1}
    # The event (to the member) and the chat post (to the room) travel different paths: either may come first.
    frames = []
    while not (_found(frames, "dues_reminder") and _reminder_post(frames)):
        frames.append(await watcher.recv(timeout=30))
    reminder = _found(frames, "dues_reminder")
    assert reminder["data"]["dues"]["id"] == dues["id"] and reminder["data"]["from"]["username"] == "treasurer"
    assert _reminder_post(frames)["body"].startswith("@member ")

    policy = {"threshold": 1_000, "approvers": [member.pk], "required": 1}
    await sync_to_async(post_json)(node_a, f"/api/wallets/{group}/approval-policy", treasurer, policy)
    await sync_to_async(post_json)(
        node_a,
        "/api/transfers",
        treasurer,
        {
            "from_wallet": wallets["treasurer"],
            "to_wallet": group,
            "amount": 5_000,
            "pin": PIN,
        },
    )
    pending = await sync_to_async(post_json)(
        node_a,
        "/api/transfers",
        treasurer,
        {
            "from_wallet": group,
            "to_wallet": wallets["member"],
            "amount": 2_000,
            "pin": PIN,
        },
    )
    asked = (await watcher.recv_until(_is_event("approval_requested")))[-1]
    assert asked["data"]["approval"]["id"] == pending["id"]
    await sync_to_async(post_json)(node_b, f"/api/approvals/{pending['id']}/approve", member, {"pin": PIN})
    decided = (await watcher.recv_until(_is_event("approval_changed")))[-1]
    assert decided["data"]["approval"]["status"] == "completed"
    received = (await watcher.recv_until(_is_event("transfer_received")))[-1]
    assert received["data"]["transfer"]["amount"] == 2_000 and received["data"]["from"]["username"] == "treasurer"
    await watcher.close()


async def test_a_member_cannot_take_the_id_of_a_dues_card_or_a_reminder_before_it_is_posted(two_nodes, worker_factory):
    """The server's posts use `sys:` ids, which no client may send; a member's own ids are theirs
    alone, so the old names ("dues:<id>") no longer collide with anything."""
    worker_factory("celery-preempt")
    treasurer, member, channel, _, group = await _club()
    node_a, node_b = two_nodes
    sneak = await Client.connect(node_b.ws_url, member)
    await sneak.subscribe(channel)
    april = await sync_to_async(post_json)(
        node_a, f"/api/wallets/{group}/dues", treasurer, {"title": "April", "amount": 5}
    )
    next_dues = april["id"] + 1
    hour = int(time.time()) // 3600
    taken = [f"dues:{next_dues}", f"dues-remind:{next_dues}:{hour}", f"dues-remind:{next_dues}:{hour + 1}"]
    refused = [f"sys:{name}" for name in taken]
    for client_msg_id in taken + refused:
        await sneak.send(type="send", channel=channel, body="@member pay me instead", client_msg_id=client_msg_id)
    answers = [f for f in await sneak.flush() if f["type"] in ("ack", "error")]
    assert [(f["type"], f["client_msg_id"]) for f in answers] == [("ack", i) for i in taken] + [
        ("error", i) for i in refused
    ]
    assert {f["code"] for f in answers if f["type"] == "error"} == {"bad_request"}

    dues = await sync_to_async(post_json)(
        node_a, f"/api/wallets/{group}/dues", treasurer, {"title": "May", "amount": 500}
    )
    assert dues["id"] == next_dues
    card = (await sneak.recv_until(lambda f: f["type"] == "message" and f["client_msg_id"] == f"sys:dues:{next_dues}"))[
        -1
    ]
    assert card["sender"]["username"] == "treasurer" and "May" in card["body"]
    await sync_to_async(post_json)(node_a, f"/api/dues/{dues['id']}/remind", treasurer, {})
    reminder = (await sneak.recv_until(lambda f: _reminder_post([f]) is not None, timeout=30))[-1]
    assert reminder["sender"]["username"] == "treasurer" and reminder["mentions"] == [member.pk]
    await sneak.close()


def _found(frames: list[dict], event: str) -> dict | None:
    return next((f for f in frames if f["type"] == "event" and f["event"] == event), None)


def _reminder_post(frames: list[dict]) -> dict | None:
    return next(
        (f for f in frames if f["type"] == "message" and f["client_msg_id"].startswith("sys:dues-remind:")), None
    )


async def test_someone_who_leaves_the_channel_leaves_its_group_wallet_and_hears_no_more_of_it(two_nodes):
    treasurer, member, channel, wallets, group = await _club()
    node_a, node_b = two_nodes
    old_dues = await sync_to_async(post_json)(
        node_a, f"/api/wallets/{group}/dues", treasurer, {"title": "May", "amount": 500}
    )
    await sync_to_async(post_json)(node_b, f"/api/channels/{channel}/leave", member, {})
    leaver = await Client.connect(node_b.ws_url, member)
    keeper = await Client.connect(node_a.ws_url, treasurer)
    for connection in (leaver, keeper):
        await connection.flush()

    wallet = await sync_to_async(request_json)(node_a, "GET", f"/api/wallets/{group}", treasurer)
    members = await sync_to_async(request_json)(node_a, "GET", f"/api/wallets/{group}/members", treasurer)
    assert wallet["member_count"] == 1 and [m["username"] for m in members] == ["treasurer"]
    new_dues = await sync_to_async(post_json)(
        node_a, f"/api/wallets/{group}/dues", treasurer, {"title": "June", "amount": 500}
    )
    asked = await sync_to_async(request_json)(node_a, "GET", f"/api/dues/{new_dues['id']}", treasurer)
    assert [m["user"]["username"] for m in asked["members"]] == ["treasurer"]
    reminded = await sync_to_async(post_json)(node_a, f"/api/dues/{old_dues['id']}/remind", treasurer, {})
    assert reminded == {"reminded": 0}

    into_group = {"from_wallet": wallets["treasurer"], "to_wallet": group, "amount": 700, "pin": PIN, "memo": "fund"}
    await sync_to_async(post_json)(node_a, "/api/transfers", treasurer, into_group)
    # A transfer to the leaver's own wallet comes after on the same feed: anything of the group's came first.
    to_leaver = {"from_wallet": wallets["treasurer"], "to_wallet": wallets["member"], "amount": 1, "pin": PIN}
    await sync_to_async(post_json)(node_a, "/api/transfers", treasurer, to_leaver)
    frames = await leaver.recv_until(_is_event("transfer_received"))
    assert frames[-1]["data"]["wallet"] == wallets["member"]
    assert [f for f in frames if f["type"] == "event" and f["event"] != "member_left"] == [frames[-1]]
    for connection in (leaver, keeper):
        await connection.close()


async def test_poll_dues_a_split_and_the_wallets_activity_reach_the_other_node_live(two_nodes):
    """Club money over real sockets: REST on one node, the members' sockets on the other. The
    poll's dues card names who chose the option; a split's card, its split_paid events and the
    wallet's activity lines (sys:activity:) arrive live and are in history once each."""
    treasurer, member, channel, wallets, group = await _club()
    node_a, node_b = two_nodes
    watcher, keeper = await _subscribed_pair(two_nodes, member, treasurer, channel)

    poll = await sync_to_async(post_json)(
        node_a, f"/api/channels/{channel}/polls", treasurer, {"question": "MT?", "options": ["가요", "못 가요"]}
    )
    going = poll["options"][0]["id"]
    await sync_to_async(post_json)(node_b, f"/api/polls/{poll['id']}/vote", member, {"options": [going]})
    await sync_to_async(post_json)(node_a, f"/api/polls/{poll['id']}/close", treasurer, {})
    dues = await sync_to_async(post_json)(
        node_a, f"/api/polls/{poll['id']}/dues", treasurer, {"wallet": group, "amount": 3_000, "option": going}
    )
    frames = await watcher.recv_until(
        lambda f: f["type"] == "message" and f["client_msg_id"] == f"sys:dues:{dues['id']}"
    )
    requested = next(f for f in frames if f["type"] == "event" and f["event"] == "dues_requested")
    assert [m["user"]["username"] for m in requested["data"]["dues"]["members"]] == ["member"]
    assert frames[-1]["body"].startswith("treasurer asks @member, who chose “가요”") and frames[-1]["mentions"] == [
        member.pk
    ]
    await sync_to_async(post_json)(node_b, f"/api/dues/{dues['id']}/pay", member, {"pin": PIN})
    paid_line = (await keeper.recv_until(lambda f: f["type"] == "message" and "paid dues" in f.get("body", "")))[-1]
    assert paid_line["client_msg_id"].startswith("sys:activity:")
    assert paid_line["body"] == "💰 club fund: member paid dues of ₩3,000 · MT? · 가요 · balance ₩3,000"

    split = await sync_to_async(post_json)(
        node_a,
        f"/api/channels/{channel}/splits",
        treasurer,
        {"title": "회식", "total": 9_001, "members": [treasurer.pk, member.pk], "to_wallet": wallets["treasurer"]},
    )
    frames = await watcher.recv_until(
        lambda f: f["type"] == "message" and f["client_msg_id"] == f"sys:split:{split['id']}"
    )
    asked = next(f for f in frames if f["type"] == "event" and f["event"] == "split_requested")
    assert [(m["user"]["username"], m["amount"]) for m in asked["data"]["split"]["members"]] == [
        ("treasurer", 4_501),
        ("member", 4_500),
    ]
    transfer = await sync_to_async(post_json)(node_b, f"/api/splits/{split['id']}/pay", member, {"pin": PIN})
    for connection in (watcher, keeper):
        paid = (await connection.recv_until(_is_event("split_paid")))[-1]
        assert (paid["data"]["user"]["username"], paid["data"]["transfer_id"]) == ("member", transfer["id"])
        assert paid["data"]["split"]["paid_count"] == 2
        settled = (
            await connection.recv_until(lambda f: f.get("client_msg_id") == f"sys:activity:split:{split['id']}")
        )[-1]
        assert settled["body"] == "✔️ “회식” is settled: everyone paid their share of ₩9,001."

    history = await sync_to_async(request_json)(node_a, "GET", f"/api/channels/{channel}/messages", member)
    ids = [m["client_msg_id"] for m in history["results"]]
    assert [i for i in ids if i.startswith("sys:")] == [
        f"sys:poll:{poll['id']}",
        f"sys:dues:{dues['id']}",
        paid_line["client_msg_id"],
        f"sys:split:{split['id']}",
        f"sys:activity:split:{split['id']}",
    ]
    await watcher.close()
    await keeper.close()
