"""One rule for `Authorization` across REST, the WebSocket handshake and /metrics, on a real node:
the scheme's name is case-insensitive (RFC 7235), so `bearer` and `BEARER` are `Bearer` everywhere."""

import asyncio
import json
import urllib.error
import urllib.request

import pytest
import websockets

from accounts.tests.factories import UserFactory
from chat.tests.live import WebNode, access_token

pytestmark = pytest.mark.django_db(transaction=True)

METRICS_TOKEN = "scrape-me-0123456789"


@pytest.fixture
def node(server_environment):
    # /metrics from this machine needs the token: the allowed network is elsewhere.
    env = {**server_environment, "METRICS_TOKEN": METRICS_TOKEN, "METRICS_ALLOWED_NETWORKS": "203.0.113.0/24"}
    node = WebNode(env, "authorization-node")
    yield node
    node.stop()


def _status(url: str, authorization: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": authorization})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


async def _socket_answers(url: str, authorization: str) -> bool:
    async with websockets.connect(url, additional_headers={"Authorization": authorization}) as socket:
        try:
            await socket.send(json.dumps({"type": "ping"}))
            return json.loads(await asyncio.wait_for(socket.recv(), 10)) == {"type": "pong"}
        except websockets.ConnectionClosed:
            return False  # 4401: no or bad credentials


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_bearer_scheme_is_read_whatever_its_case_by_rest_the_socket_and_metrics(node, scheme):
    token = access_token(UserFactory())
    assert _status(f"{node.http_url}/api/auth/me", f"{scheme} {token}") == 200
    assert asyncio.run(_socket_answers(node.ws_url, f"{scheme} {token}"))
    assert _status(f"{node.http_url}/metrics", f"{scheme} {METRICS_TOKEN}") == 200


def test_another_scheme_or_a_wrong_token_is_refused_everywhere(node):
    token = access_token(UserFactory())
    assert _status(f"{node.http_url}/api/auth/me", f"Basic {token}") == 401
    assert not asyncio.run(_socket_answers(node.ws_url, f"Basic {token}"))
    assert _status(f"{node.http_url}/metrics", "bearer wrong") == 403
    assert _status(f"{node.http_url}/metrics", f"Basic {METRICS_TOKEN}") == 403
