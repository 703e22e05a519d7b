"""What money writes announce survives Redis being away (chat/outbox.py), over real processes:
a private Redis (append-only, as production), a web node and a worker with beat. Redis is killed;
the treasurer asks for dues and changes the approval rule, which commit and answer 2xx; once
Redis is back the dues card and the rule's notice are in the chat exactly once, in order, and
reach a member's socket."""

import signal

import pytest
from asgiref.sync import sync_to_async

from accounts.tests.factories import UserFactory
from channels_app.services import channel_create, channel_join
from chat.models import OutboxEvent
from chat.tests.live import CeleryWorker, Client, RedisServer, WebNode, post_json, request_json
from conftest import EMBEDDED
from ops.tests.scrape import value, wait_until
from wallets.services import wallets as wallet_services
from wallets.tests.conftest import PIN

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
    pytest.mark.skipif(EMBEDDED, reason="Redis is what goes away: production mode"),
]


@pytest.fixture(scope="module")
def stack(server_environment, tmp_path_factory):
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
    return request_json(node, "GET", f"/api/channels/{channel_id}/messages?limit=100", user)["results"]


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
