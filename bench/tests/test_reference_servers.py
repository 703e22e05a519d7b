"""The reference servers the bench compares the product with, under the load tool over real sockets:
each must deliver every message to every subscriber exactly once and acknowledge every send, or
the ratios of BENCHMARKS.md compare the product with a server that cheats."""

import json
import subprocess
import sys

import pytest

from bench import stack
from bench.processes import ROOT
from chat.tests.live import free_port

REFERENCE_SERVERS = {"bare-websockets": stack.websockets_server, "bare-granian": stack.asgi_floor_server}


@pytest.fixture(params=sorted(REFERENCE_SERVERS))
def reference_server(request, tmp_path):
    server = REFERENCE_SERVERS[request.param](port=free_port(), var=tmp_path)
    server.start()
    yield server
    server.stop()


def test_every_message_reaches_every_subscriber_once_and_every_send_is_acknowledged(reference_server, tmp_path):
    summary_path = tmp_path / "run.json"
    finished = subprocess.run(
        [sys.executable, "-m", "loadtest", "--url", reference_server.urls[0],
         *reference_server.provision(users=20, channels=4, per_channel=5),
         "--users", "20", "--channels", "4", "--rate", "40", "--duration", "2", "--ramp", "1", "--drain", "2",
         "--json", str(summary_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert finished.returncode == 0, finished.stdout + finished.stderr
    summary = json.loads(summary_path.read_text())
    assert summary["connections"]["opened"] == 20
    assert summary["sent"] == summary["acked"] == 80
    # Each message reaches the 5 subscribers of its channel, the sender included.
    assert summary["deliveries"] == {"expected": 400, "delivered": 400, "lost": 0, "duplicates": 0}
