"""A web node after PostgreSQL dropped its connections (a restart, a failover, an idle timeout):
it checks its idle pooled connections in the background (core/db_pool.py) instead of an empty
query before every query, and within that interval answers REST and socket sends as before."""

import asyncio
import time
import uuid

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from channels_app.services import channel_create
from chat.tests.live import Client, WebNode, _call
from conftest import EMBEDDED

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(EMBEDDED, reason="the pool is PostgreSQL's"),
]

CHECK_SECONDS = 0.5
NODE_NAME = "pool-node"  # its connections' application_name (libpq reads PGAPPNAME)


def _drop_the_nodes_connections() -> int:
    """What a database restart does to the node: every connection it holds closed (only the node's:
    this test process's own connections serve the tests that follow)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s", [NODE_NAME]
        )
        return cursor.fetchone()[0]


def test_a_node_answers_as_before_once_postgresql_dropped_its_pooled_connections(server_environment):
    env = {**server_environment, "DATABASE_POOL_CHECK_SECONDS": str(CHECK_SECONDS), "PGAPPNAME": NODE_NAME}
    node = WebNode(env, NODE_NAME)
    try:
        owner = UserFactory()
        channel = channel_create(owner=owner, name="pool")
        for _ in range(3):  # the pool lends and takes back its connections
            assert _call(node, "GET", "/api/channels/mine", owner)[0] == 200
        assert _drop_the_nodes_connections() >= 1
        time.sleep(CHECK_SECONDS * 4)  # the node's check found them broken and opened new ones

        for number in range(5):
            status, body = _call(
                node, "POST", f"/api/channels/{channel.pk}/messages", owner, {"body": f"after {number}"}
            )
            assert status == 201, body
        assert _call(node, "GET", "/api/channels/mine", owner)[0] == 200

        async def send_over_the_socket():
            client = await Client.subscribed(node.ws_url, owner, channel.pk)
            try:
                ack = await client.send_message(channel.pk, "over the socket", str(uuid.uuid4()))
                assert ack["type"] == "ack", ack
            finally:
                await client.close()

        asyncio.run(send_over_the_socket())
    finally:
        node.stop()
