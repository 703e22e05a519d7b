"""A node serves only on a Redis that keeps what it acknowledges (or with the loss accepted), and
a seq number is never given to two messages, even after Redis lost its data."""

import subprocess

import pytest
from asgiref.sync import sync_to_async

from chat.realtime import sequence
from chat.tests.live import ROOT, Client, RedisServer, WebNode, free_port
from conftest import EMBEDDED

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(EMBEDDED, reason="Redis is production mode's"),
]


def _node_refuses(env: dict) -> str:
    """Runs a node that should not start; what it said."""
    node = subprocess.run(WebNode.command(free_port()), env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert node.returncode != 0
    return node.stdout + node.stderr


@pytest.mark.parametrize(
    ("appendonly", "appendfsync", "required", "starts"),
    [
        (False, "everysec", "aof", False),  # the default asks for an append-only file
        (True, "everysec", "aof", True),
        (True, "everysec", "fsync", False),
        (True, "always", "fsync", True),
        (False, "everysec", "none", True),  # the loss window accepted in so many words
    ],
)
def test_a_node_starts_only_on_a_redis_as_durable_as_it_is_told(
    server_environment, tmp_path, appendonly, appendfsync, required, starts
):
    redis = RedisServer("durability-redis", tmp_path, appendonly=appendonly, appendfsync=appendfsync)
    env = {**server_environment, "REDIS_URL": redis.url, "CELERY_BROKER_URL": redis.url}
    env["CHAT_REDIS_DURABILITY"] = required
    try:
        if starts:
            WebNode(env, "durability-node").stop()
        else:
            refusal = _node_refuses(env)
            assert "Redis keeps acknowledged messages only at level" in refusal
            assert f"CHAT_REDIS_DURABILITY asks for '{required}'" in refusal
    finally:
        redis.stop()


@pytest.mark.asyncio
async def test_after_redis_lost_its_data_no_seq_is_handed_out_twice(server_environment, tmp_path, room):
    redis = await sync_to_async(RedisServer)("forgetful-redis", tmp_path, appendonly=False)
    env = {
        **server_environment,
        "REDIS_URL": redis.url,
        "CELERY_BROKER_URL": redis.url,
        "CHAT_REDIS_DURABILITY": "none",
    }
    node = await sync_to_async(WebNode)(env, "forgetful-node")
    channel, (alice,) = await room("alice")
    try:
        client = await Client.subscribed(node.ws_url, alice, channel.pk)
        for i in range(3):
            await client.send(type="send", channel=channel.pk, body=f"lost {i}", client_msg_id=f"lost-{i}")
        acks = [
            f["seq"]
            for f in await client.recv_until(lambda f: f.get("client_msg_id") == "lost-2" and f["type"] == "ack")
            if f["type"] == "ack"
        ]
        assert acks == [1, 2, 3]  # acknowledged, then lost with Redis before any worker stored them
        await client.close()

        await sync_to_async(redis.kill)()
        redis = await sync_to_async(redis.restarted)()  # empty: no append-only file

        client = await Client.connect(node.ws_url, alice)
        await client.send(type="send", channel=channel.pk, body="after the loss", client_msg_id="after")
        ack = (await client.recv_until(lambda f: f["type"] in ("ack", "error"), timeout=20))[-1]
        assert ack["type"] == "ack" and ack["seq"] == sequence.BLOCK + 1  # above everything reserved before
        await client.close()
    finally:
        await sync_to_async(node.stop)()
        await sync_to_async(redis.stop)()


def test_in_a_redis_cluster_every_node_is_checked_replicas_too(server_environment, redis_cluster):
    """A failover promotes a replica with what it kept: a replica weaker than asked stops the node."""
    replica = next(s for s in redis_cluster.servers if redis_cluster.client(s).info("replication")["role"] == "slave")
    env = {**server_environment, "REDIS_CLUSTER_NODES": redis_cluster.nodes, "CHAT_REDIS_DURABILITY": "fsync"}
    redis_cluster.client(replica).config_set("appendfsync", "everysec")
    try:
        refusal = _node_refuses(env)
    finally:
        redis_cluster.client(replica).config_set("appendfsync", "always")
    assert f"level 'aof' (127.0.0.1:{replica.port}:" in refusal
    WebNode(env, "durability-cluster-node").stop()  # every node fsyncs again: it starts
