"""Thousands of connections opening and subscribing at once on two cold nodes lose nothing.

Nodes started for this test alone (nothing warmed up), 2,000 clients of the load tool connecting
with no ramp, 20 members in each of 100 channels spread over both nodes, then steady sends:
every acknowledged message reaches every member exactly once.
"""

import json
import subprocess
import sys

import pytest
from django.core.management import call_command

from chat.tests.live import ROOT, CeleryWorker, WebNode
from conftest import EMBEDDED

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


def test_thousands_subscribing_at_once_on_cold_nodes_get_every_message(cold_nodes, tmp_path):
    plan = tmp_path / "plan.json"
    call_command("loadtest_provision", users=USERS, channels=CHANNELS, per_channel=USERS // CHANNELS, output=str(plan))
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
