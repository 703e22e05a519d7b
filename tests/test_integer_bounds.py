"""Huge integers everywhere: every integer a client can send (in a path, a query or a body) is
refused as a client error when it is beyond what the database holds, never a 500.

The operations and their integer inputs come from the OpenAPI document, so a new endpoint is
covered the day it appears (and this test asks for a valid body for it)."""

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.api.fields import DB_INTEGER_MAX
from wallets.tests.conftest import PIN

pytestmark = pytest.mark.django_db

HUGE = [DB_INTEGER_MAX + 1, 2**64, 10**40]


def test_a_read_marker_beyond_64_bits_is_refused_not_a_500(club):
    member = club["member"]
    response = member.post(f"/api/channels/{club['channel']}/read", {"seq": 2**64})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "seq" in response.json()["fields"]
    assert member.post(f"/api/channels/{club['channel']}/read", {"seq": DB_INTEGER_MAX}).status_code == 204


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("messages", "limit=", "limit"),
        ("messages", "before_seq=", "before_seq"),
        ("messages", "after_seq=", "after_seq"),
        ("messages", "before_seq=abc&before_seq=3", "before_seq"),
        ("messages", "limit=1&limit=100", "limit"),
        ("messages/search?q=hello&", "before_seq=", "before_seq"),
        ("messages/search?q=hello&", "limit=5&limit=6", "limit"),
    ],
)
def test_an_empty_or_repeated_integer_parameter_is_refused_like_a_non_number(club, path, query, field):
    # Django hands over the last of repeated values and DRF took an empty optional one for none:
    # the client meant something, and got an answer to another question.
    member = club["member"]
    member.post(f"/api/channels/{club['channel']}/messages", {"body": "hello"})
    separator = "" if path.endswith("&") else "?"
    response = member.get(f"/api/channels/{club['channel']}/{path}{separator}{query}")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and list(response.json()["fields"]) == [field]
    assert member.get(f"/api/channels/{club['channel']}/messages?limit=abc").status_code == 400


@pytest.fixture
def world(club):
    """Real ids for every path parameter, and a valid body for every operation that takes one."""
    treasurer = club["treasurer"]
    dues = treasurer.post(f"/api/wallets/{club['group']}/dues", {"title": "court", "amount": 1_000}).json()
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    to_group = {"from_wallet": treasurer.wallet_id, "to_wallet": club["group"], "amount": 10, "pin": PIN}
    schedule = treasurer.post("/api/scheduled-transfers", {**to_group, "execute_at": later, "repeat": "none"}).json()
    member = club["member"].user.pk
    policy = {"threshold": 0, "approvers": [member], "required": 1}
    treasurer.post(f"/api/wallets/{club['group']}/approval-policy", policy)
    treasurer.transfer(club["group"], 100)
    approval = treasurer.transfer(club["member"].wallet_id, 50, from_wallet=club["group"]).json()
    monthly = {"title": "court", "amount": 10, "repeat": "monthly", "first_due": f"{datetime.now(UTC).year + 5}-01-31"}
    recurring = treasurer.post(f"/api/wallets/{club['group']}/recurring-dues", monthly).json()
    message = treasurer.post(f"/api/channels/{club['channel']}/messages", {"body": "hello"}).json()
    poll = treasurer.post(
        f"/api/channels/{club['channel']}/polls", {"question": "go?", "options": ["yes", "no"]}
    ).json()
    split = {"title": "dinner", "total": 10, "members": [treasurer.user.pk], "to_wallet": treasurer.wallet_id}
    split_id = treasurer.post(f"/api/channels/{club['channel']}/splits", split).json()["id"]
    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, format="PNG")
    photo = treasurer.client.post(
        f"/api/channels/{club['channel']}/attachments",
        {"file": SimpleUploadedFile("a.png", png.getvalue(), content_type="image/png")},
        format="multipart",
    ).json()
    option = poll["options"][0]["id"]
    return {
        "client": treasurer,
        "ids": {
            "channel_id": club["channel"],
            "wallet_id": treasurer.wallet_id,
            "dues_id": dues["id"],
            "schedule_id": schedule["id"],
            "approval_id": approval["id"],
            "recurring_id": recurring["id"],
            "user_id": club["member"].user.pk,
            "message_id": message["id"],
            "poll_id": poll["id"],
            "split_id": split_id,
            "attachment_id": photo["id"],
        },
        "bodies": {
            ("post", "/api/auth/signup"): {"email": "new@example.com", "username": "new", "password": "x-long-pass-7"},
            ("post", "/api/auth/token"): {"email": "nobody@example.com", "password": "x"},
            ("post", "/api/auth/token/refresh"): {"refresh": "x"},
            ("post", "/api/channels"): {"name": "room"},
            ("post", "/api/channels/{channel_id}/join"): {},
            ("post", "/api/channels/{channel_id}/owner"): {"user_id": club["member"].user.pk},
            ("post", "/api/channels/{channel_id}/messages"): {"body": "hello"},
            ("patch", "/api/channels/{channel_id}/messages/{message_id}"): {"body": "edited"},
            ("post", "/api/channels/{channel_id}/messages/{message_id}/reactions"): {"emoji": "👍"},
            ("post", "/api/channels/{channel_id}/read"): {"seq": 1},
            ("post", "/api/channels/{channel_id}/group-wallets"): {"name": "fund"},
            ("post", "/api/wallets"): {"pin": PIN},
            ("post", "/api/wallets/{wallet_id}/deposit"): {"amount": 10},
            ("post", "/api/wallets/{wallet_id}/withdraw"): {"amount": 10, "pin": PIN},
            ("post", "/api/wallets/{wallet_id}/dues"): {"title": "court", "amount": 10},
            ("post", "/api/transfers"): to_group,
            ("post", "/api/scheduled-transfers"): {**to_group, "execute_at": later, "repeat": "none"},
            ("post", "/api/dues/{dues_id}/pay"): {"pin": PIN},
            ("post", "/api/wallets/{wallet_id}/treasurer"): {"user_id": member, "pin": PIN},
            ("post", "/api/wallets/{wallet_id}/approval-policy"): policy,
            ("post", "/api/wallets/{wallet_id}/recurring-dues"): monthly,
            ("post", "/api/approvals/{approval_id}/approve"): {"pin": PIN},
            ("post", "/api/approvals/{approval_id}/reject"): {"pin": PIN},
            ("post", "/api/channels/{channel_id}/notice"): {"message_id": message["id"]},
            ("post", "/api/channels/{channel_id}/polls"): {"question": "go?", "options": ["yes", "no"]},
            ("post", "/api/polls/{poll_id}/vote"): {"options": [option]},
            ("post", "/api/polls/{poll_id}/dues"): {"wallet": club["group"], "amount": 10, "option": option},
            ("post", "/api/channels/{channel_id}/splits"): split,
            ("post", "/api/splits/{split_id}/pay"): {"pin": PIN},
            ("post", "/api/channels/{channel_id}/attachments"): {},  # multipart: its integers are in the path
        },
    }


def _schema(client) -> dict:
    return client.client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _integer_inputs(schema: dict):
    """(method, path, where, name, declared schema) of every integer a client sends."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["schema"].get("type") == "integer":
                    yield method, path, parameter["in"], parameter["name"], parameter["schema"]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                for name, field in _resolve(schema, body["schema"]).get("properties", {}).items():
                    if field.get("type") == "integer":
                        yield method, path, "body", name, field


def _send(world, method: str, path: str, *, where: str, name: str, value: int):
    ids = {**world["ids"]}
    if where == "path":
        ids[name] = value
    url = path.format(**ids)
    client = world["client"].client
    if method == "get":
        return client.get(url, {name: value} if where == "query" else {})
    body = dict(world["bodies"].get((method, path), {}))
    if where == "body":
        body[name] = value
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def test_the_schema_bounds_every_integer_input_by_the_database(world):
    inputs = list(_integer_inputs(_schema(world["client"])))
    assert len(inputs) > 20  # path ids, seqs, limits, pages, wallet ids and amounts
    unbounded = [(method, path, name) for method, path, _, name, field in inputs if "maximum" not in field]
    assert unbounded == []
    assert all(field["maximum"] <= DB_INTEGER_MAX for *_, field in inputs)


def test_huge_integers_in_every_path_query_and_body_are_client_errors(world):
    schema = _schema(world["client"])
    for method, path, operation in [(m, p, o) for p, ops in schema["paths"].items() for m, o in ops.items()]:
        if operation.get("requestBody", {}).get("required"):
            assert (method, path) in world["bodies"], f"give the test a valid body for {method.upper()} {path}"
    refused = []
    for method, path, where, name, _ in _integer_inputs(schema):
        for value in HUGE:
            response = _send(world, method, path, where=where, name=name, value=value)
            refused.append((method, path, name, response.status_code))
            assert 400 <= response.status_code < 500, (method, path, where, name, value, response.content[:300])
            assert response.json()["code"] in {"invalid", "not_found"}, (method, path, name, response.json())
    assert len(refused) > 60
