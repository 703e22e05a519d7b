"""The load tool against a real web node (chat.realtime.server) and Celery worker: what it measures adds up.

A few seconds of load on a small shape: the tool must see every acknowledged message
reach every member exactly once, find each in history, and write its JSON and PNG.
"""

import json
import subprocess
import sys

import pytest
from django.db import connection

from chat.tests.live import ROOT, CeleryWorker, WebNode, server_env
from loadtest.database import write_plan

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def node_and_worker(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        database_name = connection.settings_dict["NAME"]
    environment = server_env(database_name, THROTTLE_SIGNUP="1000/min", THROTTLE_SIGNIN="1000/min")
    node = WebNode(environment, "node-load")
    worker = CeleryWorker(environment, "celery-load")
    yield node
    node.stop()
    worker.stop()


def _load(node, tmp_path, *options: str) -> tuple[subprocess.CompletedProcess, dict]:
    summary_path = tmp_path / "run.json"
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "loadtest",
            "--url",
            node.http_url,
            "--rate",
            "20",
            "--duration",
            "3",
            "--ramp",
            "1",
            "--drain",
            "2",
            "--json",
            str(summary_path),
            "--plot",
            str(tmp_path / "run.png"),
            "--check",
            *options,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return finished, json.loads(summary_path.read_text())


def test_a_provisioned_run_loses_nothing_and_finds_everything_in_history(node_and_worker, tmp_path):
    plan_path = tmp_path / "plan.json"
    write_plan(users=30, channels=3, per_channel=10, output=str(plan_path))
    finished, summary = _load(node_and_worker, tmp_path, "--plan", str(plan_path))

    assert summary["connections"]["opened"] == 30
    assert summary["connections"]["disconnects"] == {}
    assert summary["sent"] == summary["acked"] == 60
    # Each message reaches the 10 members of its channel, the sender included.
    assert summary["deliveries"] == {"expected": 600, "delivered": 600, "lost": 0, "duplicates": 0}
    assert summary["latency"]["delivery"]["samples"] == 600
    assert summary["history"]["checked_channels"] == 3
    assert summary["history"]["missing"] == 0
    assert summary["history"]["store_drained_s"] is not None  # the worker wrote everything to the store
    assert "lost 0, duplicates 0" in finished.stdout
    assert (tmp_path / "run.png").read_bytes().startswith(b"\x89PNG")


def test_a_run_provisioned_through_the_rest_api(node_and_worker, tmp_path):
    _, summary = _load(
        node_and_worker, tmp_path, "--provision", "rest", "--users", "6", "--channels", "2", "--processes", "2"
    )

    assert summary["connections"]["opened"] == 6
    assert summary["deliveries"]["expected"] == 3 * 60 > 0
    assert summary["deliveries"]["lost"] == summary["deliveries"]["duplicates"] == 0
    assert summary["history"]["missing"] == 0


def test_a_messengers_day_mixes_room_sizes_and_types_edits_reacts_and_reads(node_and_worker, tmp_path):
    plan_path = tmp_path / "plan.json"
    # Rooms of 5, 10 and 15: every one of the 30 users in one.
    write_plan(users=30, channels=0, per_channel=5, largest=15, output=str(plan_path))
    _, summary = _load(
        node_and_worker,
        tmp_path,
        "--plan",
        str(plan_path),
        "--reads",
        "--typing",
        "1",
        "--edits",
        "0.1",
        "--reactions",
        "0.1",
    )

    assert [len(channel["members"]) for channel in json.loads(plan_path.read_text())["channels"]] == [5, 10, 15]
    assert summary["deliveries"]["expected"] > 0
    assert summary["deliveries"]["lost"] == summary["deliveries"]["duplicates"] == 0
    assert summary["errors"] == {}
    actions = summary["actions"]
    assert actions["typing"] == summary["sent"] == 60
    assert actions["edit"] >= 4 and actions["reaction"] >= 4 and actions["read"] > 0
    # What the others see of it, live.
    frames = summary["frames_received"]
    assert frames["typing"] > 0 and frames["read_receipts"] > 0
    assert frames["message_edited"] > 0 and frames["reactions"] > 0
