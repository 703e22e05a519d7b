"""Fixtures of the socket tests: the servers (a node pair, a worker), a room, and two members
connected to different nodes and subscribed to it."""

from typing import NamedTuple

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import override_settings

from accounts.models import User
from channels_app.models import Channel
from channels_app.tests.factories import channel_with_members
from chat.tests.live import CeleryWorker, Client, WebNode, node_pair, server_env


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
    with node_pair(server_environment, "node") as nodes:
        yield nodes


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
    """A node with tight send limits, for the flood tests: a burst of 10, then one message every
    100 s, so a slow, loaded machine cannot refill a token between the 10th send and the 11th."""
    node = WebNode({**server_environment, "CHAT_SEND_RATE_PER_SECOND": "0.01", "CHAT_SEND_BURST": "10"}, "node-strict")
    yield node
    node.stop()


@pytest.fixture
def room():
    """Makes a channel named "room": `await room("alice", "bob")` is (channel, [alice, bob]), owned by alice."""

    @sync_to_async
    def make(*usernames: str):
        return channel_with_members(name="room", usernames=list(usernames))

    return make


class Pair(NamedTuple):
    """alice (the room's owner) and bob, each with a socket subscribed to the room: `a` and `b`."""

    channel: Channel
    alice: User
    bob: User
    a: Client
    b: Client


@pytest.fixture
async def alice_and_bob(two_nodes, room):
    """alice on the first node and bob on the second, both subscribed to their room (the frames
    that follow a subscribe, read receipts and presence, are still to be read)."""
    channel, (alice, bob) = await room("alice", "bob")
    # Both connect before either subscribes (the order these tests always had): each subscribes while the other is online.
    a = await Client.connect(two_nodes[0].ws_url, alice)
    b = await Client.connect(two_nodes[1].ws_url, bob)
    await a.subscribe(channel.pk)
    await b.subscribe(channel.pk)
    yield Pair(channel, alice, bob, a, b)
    await a.close()
    await b.close()
