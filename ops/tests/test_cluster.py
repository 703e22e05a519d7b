"""bin/cluster: the whole topology from one command, a rolling restart on request, a clean stop."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import urllib.error
import urllib.request

import httpx
import pytest
from asgiref.sync import sync_to_async

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from channels_app.services import channel_create
from chat.tests.live import ROOT, free_port_block
from chat.tests.resuming import ResumingClient
from ops.tests.scrape import readyz, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio, pytest.mark.slow]

SIGNIN_LIMIT = 20  # THROTTLE_SIGNIN's default, per minute
CLUSTER_PORT_OFFSETS = (1, 2, 100)  # bin/cluster's two web nodes and its worker's /metrics


def _status(url: str, *, body: dict | None = None, headers: dict | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _sign_in(port: int, n: int, *, forwarded_for: str) -> int:
    body = {"email": f"nobody{n}@example.com", "password": "wrong"}  # one email would be locked out at five
    return _status(f"http://127.0.0.1:{port}/api/auth/token", body=body, headers={"X-Forwarded-For": forwarded_for})


def _browser_checks(port: int, user) -> None:
    """What a browser does through nginx on a port of its own: sign in with the page, then POST
    with the session and its CSRF token (a browser sends Origin, with the port, on every POST)."""
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, headers={"Origin": base}) as browser:
        browser.get("/accounts/signin/")
        form = {"email": user.email, "password": DEFAULT_PASSWORD, "csrfmiddlewaretoken": browser.cookies["csrftoken"]}
        assert browser.post("/accounts/signin/", data=form).status_code == 302
        created = browser.post(
            "/api/channels", json={"name": "through nginx"}, headers={"X-CSRFToken": browser.cookies["csrftoken"]}
        )
        assert created.status_code == 201, created.text
        too_large = browser.post(
            "/api/channels", content=b" " * (2 * 1024 * 1024), headers={"Content-Type": "application/json"}
        )
        assert too_large.status_code == 413 and too_large.json()["code"] == "too_large"  # nginx's, in the API's shape


async def _wait_started(manager: subprocess.Popen, output) -> None:
    """Until the cluster says it is ready; a manager that gave up or hangs fails the test with its log."""

    def started() -> bool:
        assert manager.poll() is None, f"bin/cluster exited with {manager.returncode}"
        return "cluster  | ready" in output.read_text()

    try:
        await wait_until(started, timeout=120, what="the cluster")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{output.read_text()[-3000:]}") from None


async def test_cluster_serves_through_nginx_restarts_node_by_node_and_stops(server_environment, tmp_path):
    user = await sync_to_async(UserFactory)(username="clustered")
    channel = await sync_to_async(channel_create)(owner=user, name="cluster room")
    port = free_port_block(CLUSTER_PORT_OFFSETS)
    output = tmp_path / "cluster.out"
    with open(output, "w") as out:
        manager = subprocess.Popen(
            [str(ROOT / "bin" / "cluster"), "--port", str(port), "--var", str(tmp_path / "var")],
            cwd=ROOT,
            env=server_environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    client = ResumingClient(f"ws://127.0.0.1:{port}/ws/", user, channel.pk, name="c")
    task = None
    try:
        await _wait_started(manager, output)
        assert readyz(f"http://127.0.0.1:{port}")[0] == 200  # through nginx
        task = asyncio.create_task(client.run())
        await asyncio.wait_for(client.ready.wait(), 30)
        await client.send_next()
        await wait_until(lambda: not client.unacked, what="the first ack")

        restart = subprocess.run([str(ROOT / "bin" / "cluster"), "restart", "--var", str(tmp_path / "var")], cwd=ROOT)
        assert restart.returncode == 0
        await wait_until(lambda: "rolling restart done" in output.read_text(), timeout=120, what="the rolling restart")
        await asyncio.wait_for(client.ready.wait(), 30)
        await client.send_next()
        await wait_until(lambda: not client.unacked and client.last_seq == 2, what="a message after the restart")
        assert client.connections >= 2 and client.reconnect_frames
        assert client.seqs_received == [1, 2]
        await sync_to_async(_browser_checks)(port, user)
        # Last, as it spends this address's sign-in budget (the page's sign-in above took one):
        # through nginx a client is the address nginx saw, whatever X-Forwarded-For it writes.
        statuses = [_sign_in(port, n, forwarded_for=f"203.0.113.{n}") for n in range(SIGNIN_LIMIT)]
        assert statuses == [401] * (SIGNIN_LIMIT - 1) + [429]
        assert _status(f"http://127.0.0.1:{port}/metrics") == 404  # nginx keeps /metrics to the nodes
        assert _status(f"http://127.0.0.1:{port + 1}/metrics") == 200  # the scraper reaches a node from its network
    finally:
        await client.stop()
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)
        os.kill(manager.pid, signal.SIGTERM)
        code = await sync_to_async(manager.wait)(timeout=90)
    log = output.read_text()
    assert code == 0, log[-3000:]
    assert log.rstrip().endswith("cluster  | stopped")
    for name in ("web1", "web2", "worker1", "beat"):
        assert f"\n{name:<8} | " in log  # every process ran and spoke
    assert '"path":"/ws/","status":101' in (tmp_path / "var" / "nginx" / "access.log").read_text()


async def test_a_node_that_cannot_start_stops_the_cluster_and_leaves_no_process_behind(server_environment, tmp_path):
    port = free_port_block(CLUSTER_PORT_OFFSETS)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port + 1))  # web1's port, taken by someone else
        squatter.listen()
        finished = await sync_to_async(subprocess.run)(
            [str(ROOT / "bin" / "cluster"), "--port", str(port), "--var", str(tmp_path / "var")],
            cwd=ROOT,
            env=server_environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert finished.returncode == 1, finished.stdout[-3000:]
    assert "cluster  | web1 exited while starting: stopping the cluster" in finished.stdout
    assert finished.stdout.rstrip().endswith("cluster  | stopped")
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port + 2)) != 0  # web2 started, then was stopped with the rest
