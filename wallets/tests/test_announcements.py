"""What money writes announce survives Redis being away (chat/outbox.py), over real processes:
a private Redis (append-only, as production), a web node and a worker with beat. Redis is killed;
the treasurer asks for dues and changes the approval rule, which commit and answer 2xx; once
Redis is back the dues card and the rule's notice are in the chat exactly once, in order, and
reach a member's socket."""

import asyncio
import itertools
import json
import signal
import time
import urllib.error

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from accounts.tests.factories import UserFactory
from channels_app.services import channel_create, channel_join
from chat.models import KeptEvent, OutboxEvent
from chat.selectors import outbox_backlog
from chat.tests.live import ROOT, CeleryWorker, Client, RedisServer, WebNode, post_json, request_json
from chat.tests.resuming import ResumingClient
from conftest import EMBEDDED
from ops.tests.scrape import value, wait_until
from wallets.services import transfers
from wallets.services import wallets as wallet_services
from wallets.tests.conftest import PIN

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
    pytest.mark.skipif(EMBEDDED, reason="Redis is what goes away: production mode"),
]


@pytest.fixture
def stack(server_environment, tmp_path_factory):
    """Per test: its processes stop before the database is emptied for the next one (a relay still
    running would hold the outbox's rows against the flush)."""
    redis_server = RedisServer("announce-redis", tmp_path_factory.mktemp("announce-redis"))
    env = {**server_environment, "REDIS_URL": redis_server.url, "CELERY_BROKER_URL": redis_server.url}
    processes = {"redis": redis_server, "node": WebNode(env, "announce-node"), "worker": CeleryWorker(env, "announce")}
    yield processes
    for process in processes.values():
        process.stop()


@sync_to_async
def _club():
    treasurer, member = UserFactory(username="treasurer"), UserFactory(username="member")
    channel = channel_create(owner=treasurer, name="club")
    channel_join(user=member, channel=channel)
    for user in (treasurer, member):
        wallet_services.personal_wallet_open(owner=user, pin=PIN)
    group = wallet_services.group_wallet_create(owner=treasurer, channel_id=channel.pk, name="club fund")
    wallet_services.group_wallet_join(user=member, wallet=group)
    return treasurer, member, channel.pk, group.pk


async def _metric_is(url: str, name: str, expected: float) -> bool:
    return await sync_to_async(value)(url, name) == expected


def _history(node, user, channel_id: int) -> list[dict]:
    """The whole history, page by page (oldest first)."""
    path = f"/api/channels/{channel_id}/messages?limit=100"
    page = request_json(node, "GET", path, user)
    messages = page["results"]
    while page["has_more"]:
        page = request_json(node, "GET", f"{path}&before_seq={messages[0]['seq']}", user)
        messages = page["results"] + messages
    return messages


async def test_dues_and_a_rule_change_made_while_redis_is_away_are_announced_once_it_is_back(stack):
    treasurer, member, channel, group = await _club()
    node = stack["node"]
    before = len(await sync_to_async(_history)(node, member, channel))

    stack["redis"].kill(signal.SIGKILL)
    dues = await sync_to_async(post_json)(
        node, f"/api/wallets/{group}/dues", treasurer, {"title": "June", "amount": 700}
    )
    policy = {"threshold": 1_000, "approvers": [member.pk], "required": 1}
    await sync_to_async(post_json)(node, f"/api/wallets/{group}/approval-policy", treasurer, policy)
    assert dues["title"] == "June"  # committed and answered 201, with Redis away
    queued = await sync_to_async(OutboxEvent.objects.count)()
    assert queued >= 4  # the card, its event, the notice, its event
    metrics = f"{node.http_url}/metrics"
    assert await sync_to_async(value)(metrics, "chat_outbox_backlog") == queued
    assert await sync_to_async(value)(metrics, "chat_outbox_oldest_age_seconds") > 0

    stack["redis"] = await sync_to_async(stack["redis"].restarted)()
    watcher = await Client.connect(node.ws_url, member)
    await watcher.subscribe(channel, since_seq=0)
    frames = await watcher.recv_until(lambda f: f["type"] == "message" and "approval rule" in f["body"], timeout=60)
    posted = [(f["client_msg_id"], f["sender"]["username"]) for f in frames if f["type"] == "message"][before:]
    assert posted[0] == (f"sys:dues:{dues['id']}", "treasurer")
    assert posted[1][0].startswith("sys:outbox:") and len(posted) == 2

    await wait_until(lambda: _metric_is(metrics, "chat_outbox_backlog", 0), what="the outbox emptied")
    assert await sync_to_async(value)(metrics, "chat_outbox_oldest_age_seconds") == 0
    history = (await sync_to_async(_history)(node, member, channel))[before:]
    assert [m["client_msg_id"] for m in history] == [client_msg_id for client_msg_id, _ in posted]
    assert "June" in history[0]["body"] and "approval rule" in history[1]["body"]
    await watcher.close()


FIGURES = ROOT / "var" / "test-artifacts" / "outbox-mixed-load.json"
LOAD_SECONDS, REDIS_DOWN_AT, REDIS_DOWN_SECONDS, STEP_SECONDS = 24, 4, 10, 0.5


@sync_to_async
def _busy_club():
    treasurer, ana, bo = UserFactory(username="keeper"), UserFactory(username="ana"), UserFactory(username="bo")
    channel = channel_create(owner=treasurer, name="busy club")
    group = wallet_services.group_wallet_create(owner=treasurer, channel_id=channel.pk, name="busy fund")
    personal = {}
    for user in (treasurer, ana, bo):
        if user is not treasurer:
            channel_join(user=user, channel=channel)
            wallet_services.group_wallet_join(user=user, wallet=group)
        personal[user.username] = wallet_services.personal_wallet_open(owner=user, pin=PIN).pk
        transfers.wallet_deposit(actor=user, wallet_id=personal[user.username], amount=1_000_000)
    return {"keeper": treasurer, "ana": ana, "bo": bo}, personal, channel.pk, group.pk


def _write(node, method: str, path: str, user, body: dict) -> tuple[int, dict]:
    try:
        return 200, request_json(node, method, path, user, body)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
    except (urllib.error.URLError, TimeoutError) as error:
        return 599, {"error": str(error)}


async def test_a_mixed_load_while_redis_is_away_for_ten_seconds_is_announced_once_and_in_order(stack):
    """Chat sends, transfers, dues, approvals and rule changes for 24 s, Redis killed at 4 s for 10 s,
    two members' sockets subscribed throughout. Figures: var/test-artifacts/outbox-mixed-load.json."""
    people, personal, channel, group = await _busy_club()
    node, keeper = stack["node"], people["keeper"]
    first_row = await sync_to_async(_next_outbox_id)()
    sockets = [ResumingClient(node.ws_url, people[name], channel, name) for name in ("ana", "bo")]
    runs = [asyncio.create_task(socket.run()) for socket in sockets]
    await asyncio.wait_for(asyncio.gather(*(socket.ready.wait() for socket in sockets)), 30)

    committed, refused, posts_expected, oldest = [], [], [], 0.0
    writes = itertools.cycle(["transfer", "dues", "policy", "approval"])
    started = time.monotonic()
    redis_state = "up"
    for step in itertools.count():
        elapsed = time.monotonic() - started
        if elapsed > LOAD_SECONDS:
            break
        if redis_state == "up" and elapsed >= REDIS_DOWN_AT:
            stack["redis"].kill(signal.SIGKILL)
            redis_state = "down"
        elif redis_state == "down" and elapsed >= REDIS_DOWN_AT + REDIS_DOWN_SECONDS:
            stack["redis"] = await sync_to_async(stack["redis"].restarted)()
            redis_state = "back"
        for socket in sockets:
            await socket.send_next()
        kind = next(writes)
        outcome = await sync_to_async(_one_write)(node, kind, step, people, personal, group)
        (committed if outcome[0] < 300 else refused).append((kind, *outcome))
        if outcome[0] < 300 and kind in ("dues", "policy"):
            posts_expected.append(kind)
        oldest = max(oldest, (await sync_to_async(outbox_backlog)())[1])
        await asyncio.sleep(STEP_SECONDS)

    await wait_until(lambda: _outbox_empty(), timeout=60, what="the outbox emptied")
    for _ in range(100):  # every socket's sends acknowledged (they resend what Redis refused)
        if not any(socket.unacked for socket in sockets):
            break
        for socket in sockets:
            await socket.resend_unacked()
        await asyncio.sleep(0.3)
    history = await sync_to_async(_history)(node, keeper, channel)
    await wait_until(
        lambda: all(len(set(s.seqs_received)) >= len(history) for s in sockets), timeout=30, what="all delivered"
    )
    await asyncio.sleep(1)  # anything arriving twice would come now
    for socket in sockets:
        await socket.stop()
    await asyncio.gather(*runs, return_exceptions=True)
    queued = await sync_to_async(_next_outbox_id)() - first_row
    # What each socket must have heard: every event kept in its channel's stream and its user's
    # feed since the load began, each once, in each stream's order.
    expected = {
        s.name: await sync_to_async(_kept_outbox_ids)(
            [KeptEvent.channel_stream(channel), KeptEvent.user_stream(s.user.pk)], first_row
        )
        for s in sockets
    }
    heard = {s.name: [e["outbox_id"] for e in s.events if e.get("outbox_id", 0) >= first_row] for s in sockets}

    seqs = [m["seq"] for m in history]
    # The dues cards and the rule-change notices (the wallet's activity lines, sys:activity:, come on top).
    system_posts = [m for m in history if m["client_msg_id"].startswith(("sys:dues:", "sys:outbox:"))]
    posted_kinds = ["dues" if m["client_msg_id"].startswith("sys:dues:") else "policy" for m in system_posts]
    announced = {"dues": "dues_requested", "policy": "approval_policy_changed"}  # one per committed write
    figures = {
        "redis_down_seconds": REDIS_DOWN_SECONDS,
        "committed_writes": len(committed),
        "refused_writes_503": len([r for r in refused if r[1] == 503]),
        "chat_messages_in_history": len(history),
        "system_posts": len(system_posts),
        "events_queued_in_outbox": queued,
        "outbox_largest_age_seconds": round(oldest, 1),
        "delivered_per_socket": {s.name: len(s.seqs_received) + len(s.events) for s in sockets},
        "duplicated_messages": {s.name: len(s.seqs_received) - len(set(s.seqs_received)) for s in sockets},
        "duplicated_events": {
            s.name: len([e for e in s.events if e.get("outbox_id")])
            - len({e["outbox_id"] for e in s.events if e.get("outbox_id")})
            for s in sockets
        },
        "events_expected_per_socket": {name: sum(len(ids) for ids in streams) for name, streams in expected.items()},
        "events_delivered_per_socket": {name: len(ids) for name, ids in heard.items()},
        "channel_events_expected_per_socket": len(posts_expected),
        "channel_events_delivered": {
            s.name: len([e for e in s.events if e["event"] in announced.values()]) for s in sockets
        },
        "socket_resyncs": {s.name: s.resyncs for s in sockets},
    }
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=1))
    print(json.dumps(figures))  # noqa: T201

    assert [r for r in refused if r[1] != 503] == []  # never a 5xx other than 503, never a 4xx
    assert figures["refused_writes_503"] == 0  # money writes need no Redis first
    assert seqs == sorted(set(seqs))  # history: each message once, in order
    assert posted_kinds == posts_expected  # every committed dues and rule change posted once, in order
    for socket in sockets:
        assert sorted(set(socket.seqs_received)) == seqs  # every message reached every member
        assert figures["duplicated_messages"][socket.name] == 0
        assert figures["duplicated_events"][socket.name] == 0
        assert socket.unacked == {}
        # Every committed dues and rule change's event reached every socket once, in commit order.
        assert [e["event"] for e in socket.events if e["event"] in announced.values()] == [
            announced[kind] for kind in posts_expected
        ]
        # Every kept event of the socket's streams once, in order; nothing else.
        channel_ids, user_ids = expected[socket.name]
        assert [i for i in heard[socket.name] if i in set(channel_ids)] == channel_ids
        assert [i for i in heard[socket.name] if i in set(user_ids)] == user_ids
        assert len(heard[socket.name]) == len(channel_ids) + len(user_ids)


def _one_write(node, kind: str, step: int, people: dict, personal: dict, group: int) -> tuple[int, dict]:
    keeper, ana = people["keeper"], people["ana"]
    if kind == "transfer":
        body = {"from_wallet": personal["ana"], "to_wallet": group, "amount": 1_000, "pin": PIN}
        return _write(node, "POST", "/api/transfers", ana, body)
    if kind == "dues":
        return _write(node, "POST", f"/api/wallets/{group}/dues", keeper, {"title": f"dues {step}", "amount": 500})
    if kind == "policy":
        body = {"threshold": 100 + step, "approvers": [ana.pk], "required": 1}
        return _write(node, "POST", f"/api/wallets/{group}/approval-policy", keeper, body)
    body = {"from_wallet": group, "to_wallet": personal["keeper"], "amount": 500, "pin": PIN}
    status, pending = _write(node, "POST", "/api/transfers", keeper, body)
    if status >= 300 or pending.get("status") != "pending_approval":
        return status, pending
    return _write(node, "POST", f"/api/approvals/{pending['id']}/approve", ana, {"pin": PIN})


def _next_outbox_id() -> int:
    """The id the next outbox row will get (rows are deleted once published: the sequence counts)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value + CASE WHEN is_called THEN 1 ELSE 0 END FROM chat_outboxevent_id_seq")
        return cursor.fetchone()[0]


def _kept_outbox_ids(streams: list[str], first_row: int) -> list[list[int]]:
    """Per stream, the outbox ids of the events kept in it from first_row on, in position order."""
    found = []
    for stream in streams:
        frames = KeptEvent.objects.filter(stream=stream).order_by("position").values_list("frame", flat=True)
        found.append([i for i in (json.loads(frame).get("outbox_id", 0) for frame in frames) if i >= first_row])
    return found


async def _outbox_empty() -> bool:
    return await sync_to_async(OutboxEvent.objects.count)() == 0


async def test_the_wallets_activity_while_redis_is_away_reaches_the_channel_once_it_is_back(stack):
    """Money into the club's wallet, dues paid and a split settled while Redis is away: each
    commits, and once Redis is back each activity line (sys:activity:) is in the chat once, in order."""
    treasurer, member, channel, group = await _club()
    node = stack["node"]
    mine = (await sync_to_async(request_json)(node, "GET", "/api/wallets/me", member))["id"]
    await sync_to_async(post_json)(node, f"/api/wallets/{mine}/deposit", member, {"amount": 50_000})
    theirs = (await sync_to_async(request_json)(node, "GET", "/api/wallets/me", treasurer))["id"]
    dues = await sync_to_async(post_json)(
        node, f"/api/wallets/{group}/dues", treasurer, {"title": "6월", "amount": 700}
    )
    split = await sync_to_async(post_json)(
        node,
        f"/api/channels/{channel}/splits",
        treasurer,
        {"title": "회식", "total": 20_000, "members": [treasurer.pk, member.pk], "to_wallet": theirs},
    )
    before = len(await sync_to_async(_history)(node, member, channel))

    stack["redis"].kill(signal.SIGKILL)
    transfer = {"from_wallet": mine, "to_wallet": group, "amount": 5_000, "pin": PIN, "memo": "간식"}
    await sync_to_async(post_json)(node, "/api/transfers", member, transfer)
    await sync_to_async(post_json)(node, f"/api/dues/{dues['id']}/pay", member, {"pin": PIN})
    await sync_to_async(post_json)(node, f"/api/splits/{split['id']}/pay", member, {"pin": PIN})
    assert await sync_to_async(OutboxEvent.objects.count)() >= 3  # waiting for Redis

    stack["redis"] = await sync_to_async(stack["redis"].restarted)()
    watcher = await Client.connect(node.ws_url, member)
    await watcher.subscribe(channel, since_seq=0)
    settled = f"sys:activity:split:{split['id']}"
    frames = await watcher.recv_until(lambda f: f.get("client_msg_id") == settled, timeout=60)
    lines = [f["body"] for f in frames if f["type"] == "message" and f["client_msg_id"].startswith("sys:activity:")]
    expected = [
        "💰 club fund: ₩5,000 in from member · 간식 · balance ₩5,000",
        "💰 club fund: member paid dues of ₩700 · 6월 · balance ₩5,700",
        "✔️ “회식” is settled: everyone paid their share of ₩20,000.",
    ]
    assert lines == expected
    await wait_until(lambda: _outbox_empty(), timeout=60, what="the outbox emptied")
    history = (await sync_to_async(_history)(node, member, channel))[before:]
    assert [m["body"] for m in history if m["client_msg_id"].startswith("sys:activity:")] == expected
    assert len({m["client_msg_id"] for m in history}) == len(history)
    await asyncio.sleep(1)  # a line arriving twice would come now
    assert [f for f in await watcher.flush() if f.get("client_msg_id", "").startswith("sys:activity:")] == []
    await watcher.close()
