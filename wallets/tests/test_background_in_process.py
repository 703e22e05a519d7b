"""Background work inside the web process (the embedded mode): hours of ticks compressed into
half a minute, every scheduled transfer paid once, and its notice on the recipient's open page.

With no broker configured the node runs beat's schedule in a thread and the tasks in process:
no worker to die, and what a task announces reaches the node's own sockets. The tick here is
50 ms instead of 10 s, so the run below is some 500 ticks: 80 minutes of a real node's schedule.
"""

import asyncio
import json
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async

from accounts.tests.factories import UserFactory
from chat.tests.live import Client, WebNode, post_json
from ops.tests.scrape import readyz, wait_until
from wallets.models import ScheduledTransferRun
from wallets.tests.conftest import PIN

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio, pytest.mark.slow]

SCHEDULES = 12
TICK = "0.05"


@pytest.fixture(scope="module")
def background_node(server_environment):
    env = {key: value for key, value in server_environment.items() if key not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update(WALLET_SCHEDULE_TICK_SECONDS=TICK, BACKGROUND_HEARTBEAT_SECONDS=TICK, WALLET_LEDGER_CHECK_SECONDS="0.2")
    node = WebNode(env, "background-node")
    yield node
    node.stop()


def _get(node, path: str, user) -> dict:
    from chat.tests.live import access_token

    request = urllib.request.Request(
        f"{node.http_url}{path}", headers={"Authorization": f"Bearer {access_token(user)}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


async def test_scheduled_transfers_run_once_each_and_reach_the_open_page(background_node):
    payer, payee = (
        await sync_to_async(UserFactory)(username="payer"),
        await sync_to_async(UserFactory)(username="payee"),
    )
    post = sync_to_async(post_json)
    source = (await post(background_node, "/api/wallets", payer, {"pin": PIN}))["id"]
    target = (await post(background_node, "/api/wallets", payee, {"pin": PIN}))["id"]
    await post(background_node, f"/api/wallets/{source}/deposit", payer, {"amount": 100_000})
    page = await Client.connect(background_node.ws_url, payee)
    await page.flush()

    start = datetime.now(UTC) + timedelta(seconds=2)
    for i in range(SCHEDULES):  # one every two seconds; the last one asks for more than is left
        amount = 1_000 if i < SCHEDULES - 1 else 1_000_000
        body = {"from_wallet": source, "to_wallet": target, "amount": amount, "pin": PIN, "repeat": "none"}
        await post(
            background_node,
            "/api/scheduled-transfers",
            payer,
            {**body, "execute_at": (start + timedelta(seconds=2 * i)).isoformat()},
        )

    received = []
    while len(received) < SCHEDULES - 1:
        frame = await page.recv(timeout=30)
        if frame["type"] == "event" and frame["event"] == "transfer_received":
            received.append(frame["data"]["transfer"]["amount"])
    await asyncio.sleep(3)  # the failing one has run too, and nothing runs twice meanwhile
    await page.close()

    runs = await sync_to_async(list)(ScheduledTransferRun.objects.values_list("status", flat=True))
    assert sorted(runs) == ["failed"] + ["ok"] * (SCHEDULES - 1)
    assert received == [1_000] * (SCHEDULES - 1)
    wallet = await sync_to_async(_get)(background_node, f"/api/wallets/{target}", payee)
    assert wallet["balance"] == 1_000 * (SCHEDULES - 1)
    status, body = readyz(background_node.http_url)
    assert status == 200 and body["checks"]["background"] is True
    await wait_until(lambda: readyz(background_node.http_url)[1]["checks"]["background"], what="the heartbeat")
