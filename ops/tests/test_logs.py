"""Structured logs: LOG_FORMAT=json gives one JSON object per line with a request id, and no
password, PIN or token ever reaches the log, whatever a client sends."""

import json
import urllib.error
import urllib.request

import pytest
from asgiref.sync import sync_to_async

from chat.tests.live import WebNode
from core.node.logs import REDACTED, redact

PASSWORD = "Sekrit-horse-battery-71"
PIN = "482913"
WRONG_PIN = "135791"


def _call(node, method: str, path: str, body: dict | None = None, token: str | None = None, **headers):
    request = urllib.request.Request(
        f"{node.http_url}{path}", method=method, data=json.dumps(body).encode() if body else None
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null"), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), error.headers


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_json_logs_carry_request_ids_and_no_secrets(server_environment):
    from chat.tests.live import Client

    node = await sync_to_async(WebNode)({**server_environment, "LOG_FORMAT": "json"}, "json-logs")
    call = sync_to_async(_call)
    try:
        signup = {"email": "logs@example.com", "username": "logger", "password": PASSWORD}
        assert (await call(node, "POST", "/api/auth/signup", signup))[0] == 201
        status, tokens, _ = await call(
            node, "POST", "/api/auth/token", {"email": "logs@example.com", "password": PASSWORD}
        )
        assert status == 200
        access, refresh = tokens["access"], tokens["refresh"]
        assert (
            await call(node, "POST", "/api/auth/token", {"email": "logs@example.com", "password": "nope-" + PASSWORD})
        )[0] == 401
        assert (await call(node, "POST", "/api/auth/token/refresh", {"refresh": refresh}))[0] == 200
        status, wallet, _ = await call(node, "POST", "/api/wallets", {"pin": PIN}, token=access)
        assert status == 201
        withdraw = {"amount": 1, "pin": WRONG_PIN}
        assert (await call(node, "POST", f"/api/wallets/{wallet['id']}/withdraw", withdraw, token=access))[0] == 403
        # A client that puts its token in the query string: the path is logged, never the query.
        status, _, headers = await call(
            node, "GET", f"/api/auth/me?access_token={access}", token=access, X_Request_ID="trace-0123456789"
        )
        assert (status, headers["X-Request-ID"]) == (200, "trace-0123456789")
        client = await Client.connect(node.ws_url, await sync_to_async(_user)("logs@example.com"))
        await client.send(type="ping")
        await client.recv()
        await client.close()
        _, _, headers = await call(node, "GET", "/healthz")
        generated_id = headers["X-Request-ID"]
    finally:
        await sync_to_async(node.stop)()

    text = node.log_path.read_text()
    for secret in (PASSWORD, PIN, WRONG_PIN, access, refresh):
        assert secret not in text
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line is one JSON object
    access_lines = [e for e in entries if e["logger"] == "access"]
    assert {"trace-0123456789", generated_id} <= {e["request_id"] for e in access_lines}
    me = next(e for e in access_lines if e["request_id"] == "trace-0123456789")
    assert (me["method"], me["path"], me["status"]) == ("GET", "/api/auth/me", 200)
    socket_lines = [e for e in access_lines if e["message"].startswith("WS /ws/ closed")]
    assert len(socket_lines) == 1 and len(socket_lines[0]["request_id"]) == 32
    assert all(e["request_id"] != "-" for e in access_lines)


def _user(email):
    from accounts.models import User

    return User.objects.get(email=email)


@pytest.mark.parametrize(
    "line",
    [
        'login failed for {"email": "a@b.c", "password": "hunter2"}',
        "wallet 5 withdraw pin=4821 refused",
        "headers: Authorization: Bearer abc.def.ghi",
        "refresh token eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjo1fQ.c2lnbmF0dXJl leaked",
        "POST /api/transfers {'from_wallet': 1, 'pin': '0000'}",
    ],
)
def test_redact_scrubs_every_shape_of_secret(line):
    scrubbed = redact(line)
    assert REDACTED in scrubbed
    for secret in ("hunter2", "4821", "abc.def.ghi", "eyJhbGciOiJIUzI1NiJ9", "'0000'"):
        assert secret not in scrubbed
