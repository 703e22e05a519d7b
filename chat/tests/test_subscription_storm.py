"""Connections opening and subscribing at once on two cold nodes get every message.

Nodes started for these tests alone (nothing warmed up). First a small storm: 120 sockets,
two in each of 60 rooms (one per node), all subscribing in the same instant; on the code
before this test, concurrent first subscriptions of a node each took a Redis connection of
their own and all but one were never read (18 of 40 sockets got nothing in one try). Then 2,000
clients of the load tool connecting with no ramp, 20 members in each of 100 channels over both
nodes, and steady sends: every acknowledged message reaches every member exactly once.
"""

import asyncio
import json
import subprocess
import sys

import pytest
from asgiref.sync import sync_to_async

from channels_app.tests.factories import channel_with_members
from chat.tests.live import ROOT, CeleryWorker, Client, WebNode
from conftest import EMBEDDED
from loadtest.database import write_plan

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.skipif(EMBEDDED, reason="two nodes sharing Redis: production mode"),
]

USERS, CHANNELS = 2000, 100


@pytest.fixture(scope="module")
def cold_nodes(server_environment):
    env = {**server_environment, "CHAT_SEND_RATE_PER_SECOND": "1000", "CHAT_SEND_BURST": "1000"}
    nodes = [WebNode(env, "storm-a"), WebNode(env, "storm-b")]
    worker = CeleryWorker(env, "storm-celery")
    yield nodes
    for process in (*nodes, worker):
        process.stop()


@pytest.mark.asyncio
async def test_sockets_subscribing_in_one_instant_on_cold_nodes_all_hear_their_room(cold_nodes):
    rooms = await sync_to_async(
        lambda: [channel_with_members(name=f"s{r}", usernames=[f"s{r}a", f"s{r}b"]) for r in range(20)]
    )()

    async def open_and_subscribe(node, user, channel_id):
        client = await Client.connect(node.ws_url, user)
        await client.send(type="subscribe", channel=channel_id)
        return client

    pairs = await asyncio.gather(
        *(
            asyncio.gather(
                open_and_subscribe(cold_nodes[0], a, channel.pk), open_and_subscribe(cold_nodes[1], b, channel.pk)
            )
            for channel, (a, b) in rooms
        )
    )
    for (channel, _), (here, there) in zip(rooms, pairs, strict=True):
        for client in (here, there):
            assert (await client.recv_until(lambda f: f["type"] in ("subscribed", "error")))[-1]["type"] == "subscribed"
        await here.send(type="send", channel=channel.pk, body="hi", client_msg_id="hi")
    for (channel, _), (here, there) in zip(rooms, pairs, strict=True):
        for client in (here, there):
            message = (await client.recv_until(lambda f: f["type"] == "message", timeout=10))[-1]
            assert (message["channel"], message["body"]) == (channel.pk, "hi")
            await client.close()


def test_thousands_subscribing_at_once_on_cold_nodes_get_every_message(cold_nodes, tmp_path):
    plan = tmp_path / "plan.json"
    write_plan(users=USERS, channels=CHANNELS, per_channel=USERS // CHANNELS, output=str(plan))
    summary_path = tmp_path / "storm.json"
    urls = [argument for node in cold_nodes for argument in ("--url", node.http_url)]
    finished = subprocess.run(
        [sys.executable, "-m", "loadtest", *urls, "--plan", str(plan), "--ramp", "0", "--connect-concurrency", "1000",
         "--processes", "2", "--rate", "200", "--duration", "5", "--drain", "20", "--history-channels", "0",
         "--json", str(summary_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stdout + finished.stderr
    summary = json.loads(summary_path.read_text())

    assert summary["connections"]["opened"] == USERS
    assert summary["connections"]["disconnects"] == {}
    assert summary["sent"] == summary["acked"] > 900
    deliveries = summary["deliveries"]
    assert deliveries["expected"] == summary["acked"] * (USERS // CHANNELS)
    assert (deliveries["lost"], deliveries["duplicates"]) == (0, 0)
    assert summary["errors"] == {}
