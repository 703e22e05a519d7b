import pytest
from django.db import connection
from django.test import override_settings

from chat.tests.live import CeleryWorker, WebNode, server_env
from conftest import EMBEDDED


@pytest.fixture(scope="module")
def server_environment(django_db_setup, django_db_blocker, redis_mode, request):
    """The servers' environment; in the cluster mode the realtime path is on the test Redis
    Cluster, for the servers and for this process alike (the broker stays on REDIS_URL)."""
    with django_db_blocker.unblock():
        database_name = connection.settings_dict["NAME"]
    # Limits roomy enough for the bursts below; the flood test still overruns them.
    env = server_env(
        database_name, CHAT_PERSIST_RECLAIM_IDLE_MS="2000", CHAT_SEND_RATE_PER_SECOND="200", CHAT_SEND_BURST="400"
    )
    if redis_mode != "cluster":
        yield env
        return
    cluster = request.getfixturevalue("redis_cluster")
    with override_settings(REDIS_CLUSTER_NODES=cluster.addresses, CHAT_REDIS_REPLICAS_TO_ACK=1):
        yield {**env, "REDIS_CLUSTER_NODES": cluster.nodes}


@pytest.fixture(scope="module")
def two_nodes(server_environment):
    """Two processes sharing Redis; in the embedded mode one process plays both parts."""
    if EMBEDDED:
        node = WebNode(server_environment, "node-embedded")
        yield [node, node]
        node.stop()
        return
    nodes = [WebNode(server_environment, "node-a"), WebNode(server_environment, "node-b")]
    yield nodes
    for node in nodes:
        node.stop()


@pytest.fixture
def worker_factory(server_environment):
    workers = []

    def start(name="celery"):
        worker = CeleryWorker(server_environment, name)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture(scope="module")
def strict_node(server_environment):
    """A node with tight per-connection send limits, for the flood test."""
    node = WebNode({**server_environment, "CHAT_SEND_RATE_PER_SECOND": "5", "CHAT_SEND_BURST": "10"}, "node-strict")
    yield node
    node.stop()
