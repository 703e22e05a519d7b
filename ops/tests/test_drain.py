"""Draining one node by hand: the admin endpoint and `manage.py drain_node`, with a client that
does not leave (the node closes it with 4012 at DRAIN_TIMEOUT_SECONDS, then exits)."""

import io
import urllib.error

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.core.management import call_command

from accounts.tests.factories import UserFactory
from chat.tests.live import Client, WebNode, post_json
from ops.tests.scrape import readyz

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_drain_node_command_drains_then_closes_stragglers_and_exits(server_environment):
    node = await sync_to_async(WebNode)({**server_environment, "DRAIN_TIMEOUT_SECONDS": "5"}, "drain-cmd")
    user = await sync_to_async(UserFactory)(username="member")
    await sync_to_async(UserFactory)(username="root", email="root@example.com", is_staff=True, is_superuser=True)
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            await sync_to_async(post_json)(node, "/ops/drain", user, {})
        assert refused.value.code == 403  # staff only
        assert readyz(node.http_url)[0] == 200

        stays = await Client.connect(node.ws_url, user)
        out = io.StringIO()
        await sync_to_async(call_command)("drain_node", node.http_url, stdout=out)
        assert "draining 1 connections" in out.getvalue()
        frame = await stays.recv()
        assert frame["type"] == "reconnect" and frame["reason"] == "server_draining"
        assert isinstance(frame["retry_after_ms"], int) and frame["retry_after_ms"] >= 200
        status, body = readyz(node.http_url)
        assert (status, body["ready"], body["checks"]["draining"]) == (503, False, True)
        with pytest.raises(websockets.InvalidStatus) as handshake:
            await Client.connect(node.ws_url, user)  # no new sockets on a draining node
        assert handshake.value.response.status_code == 403

        with pytest.raises(websockets.ConnectionClosed):
            await stays.recv(timeout=30)  # the client ignored the frame: closed at the drain timeout
        assert stays.connection.close_code == 4012
        assert await sync_to_async(node.wait_exit)() == 0
    finally:
        await sync_to_async(node.stop)()


async def test_drain_node_command_needs_a_staff_user(server_environment):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No active staff user"):
        await sync_to_async(call_command)("drain_node", "http://127.0.0.1:9")
