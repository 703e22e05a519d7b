"""Every metric the dashboard and the alert rules read is exported by a real running process.

A web node (chat.realtime.server) and a Celery worker with its /metrics port run against the test
database and Redis; real traffic (REST, a WebSocket session, wallet transfers, a scheduled
transfer the worker runs) makes the labelled series appear, as in production.
"""

import re
import urllib.error
from datetime import UTC, datetime

import pytest
from asgiref.sync import sync_to_async

from accounts.tests.factories import UserFactory
from chat.tests.live import CeleryWorker, Client, WebNode, free_port, post_json
from ops.tests.deployment_files import alert_rules, metric_names_by_job, used_metric_names
from ops.tests.scrape import samples, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

PIN = "1234"


def _post_refused(node, path, user, body) -> int:
    try:
        post_json(node, path, user, body)
    except urllib.error.HTTPError as error:
        return error.code
    raise AssertionError(f"{path} accepted {body}")


@sync_to_async
def _wallet_traffic(node, alice, bob) -> None:
    alice_wallet = post_json(node, "/api/wallets", alice, {"pin": PIN})["id"]
    bob_wallet = post_json(node, "/api/wallets", bob, {"pin": PIN})["id"]
    post_json(node, f"/api/wallets/{alice_wallet}/deposit", alice, {"amount": 10_000})
    post_json(
        node, "/api/transfers", alice, {"from_wallet": alice_wallet, "to_wallet": bob_wallet, "amount": 100, "pin": PIN}
    )
    wrong = {"from_wallet": alice_wallet, "to_wallet": bob_wallet, "amount": 100, "pin": "9999"}
    assert _post_refused(node, "/api/transfers", alice, wrong) == 403
    post_json(
        node,
        "/api/scheduled-transfers",
        alice,
        {
            "from_wallet": alice_wallet,
            "to_wallet": bob_wallet,
            "amount": 50,
            "pin": PIN,
            "execute_at": datetime.now(UTC).isoformat(),
            "repeat": "none",
        },
    )


async def test_dashboard_and_alert_metrics_are_exposed_by_the_processes_they_are_read_from(server_environment):
    alice, bob = await sync_to_async(lambda: (UserFactory(username="alice"), UserFactory(username="bob")))()
    metrics_port = free_port()
    env = {
        **server_environment,
        "WALLET_SCHEDULE_TICK_SECONDS": "1",
        "WALLET_LEDGER_CHECK_SECONDS": "1",
        "BACKGROUND_HEARTBEAT_SECONDS": "1",
    }
    node = await sync_to_async(WebNode)(env, "metrics-web")
    worker = await sync_to_async(CeleryWorker)({**env, "CELERY_METRICS_PORT": str(metrics_port)}, "metrics-celery")
    worker_url = f"http://127.0.0.1:{metrics_port}/metrics"
    try:
        channel = (await sync_to_async(post_json)(node, "/api/channels", alice, {"name": "metrics"}))["id"]
        client = await Client.connect(node.ws_url, alice)
        await client.subscribe(channel)
        await client.send(type="send", channel=channel, body="hello", client_msg_id="m1")
        await client.send(type="teleport")  # an error frame
        await client.flush()
        await client.close()
        await _wallet_traffic(node, alice, bob)

        def worker_names():
            try:
                names = {name for name, _, _ in samples(worker_url)}
            except OSError:
                return None
            return names if "wallet_scheduled_runs_total" in names else None

        def web_names():
            names = {name for name, _, _ in samples(f"{node.http_url}/metrics")}
            return names if "background_heartbeat_age_seconds" in names else None  # once beat has run

        on_worker = await wait_until(worker_names, timeout=60, what="the worker running the scheduled transfer")
        on_web = await wait_until(web_names, timeout=60, what="the web node seeing the background heartbeat")
    finally:
        await sync_to_async(worker.stop)()
        await sync_to_async(node.stop)()

    assert used_metric_names() - (on_web | on_worker) == set()
    by_job = metric_names_by_job()
    assert by_job["web"] - on_web == set()
    assert by_job["celery"] - on_worker == set()


def _counted_by_alerts() -> list[tuple[str, dict]]:
    """(name, label matchers other than job) of every counter an alert takes increase() of."""
    found = []
    for rule in alert_rules():
        for name, matchers in re.findall(r"increase\(([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?", rule["expr"]):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', matchers or ""))
            labels.pop("job", None)
            found.append((name, labels))
    return found


async def test_the_counters_alerts_count_start_at_zero_in_a_fresh_worker_and_after_its_restart(server_environment):
    # increase() over a series that first appears at 1 is 0: the first failure would never alert.
    counted = _counted_by_alerts()
    assert ("wallet_scheduled_runs_total", {"outcome": "failed"}) in counted
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"

    def scraped():
        try:
            return samples(url)
        except OSError:
            return None

    for start in ("fresh", "restarted"):
        worker = await sync_to_async(CeleryWorker)(
            {**server_environment, "CELERY_METRICS_PORT": str(port)}, f"zero-{start}"
        )
        try:
            exposed = await wait_until(scraped, timeout=60, what=f"the {start} worker's /metrics")
        finally:
            await sync_to_async(worker.stop)()
        at_start = {
            (name, tuple(sorted(labels.items()))): value for name, labels, value in exposed if name.endswith("_total")
        }
        for name, labels in counted:
            key = (name, tuple(sorted(labels.items())))
            assert at_start.get(key) == 0, f"{start} worker: {name}{labels} is not exported at 0"
