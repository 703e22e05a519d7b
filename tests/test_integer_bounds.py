"""Huge integers everywhere: every integer a client can send (in a path, a query or a body) is
refused as a client error when it is beyond what the database holds, never a 500.

The operations and their integer inputs come from the OpenAPI document, so a new endpoint is
covered the day it appears (and this test asks for a valid body for it)."""

import json

import pytest

from core.api.fields import DB_INTEGER_MAX
from tests.api_world import document, resolve

pytestmark = pytest.mark.django_db

HUGE = [DB_INTEGER_MAX + 1, 2**64, 10**40]


def test_a_read_marker_beyond_64_bits_is_refused_not_a_500(club):
    member = club["member"]
    response = member.post(f"/api/channels/{club['channel']}/read", {"seq": 2**64})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "seq" in response.json()["fields"]
    assert member.post(f"/api/channels/{club['channel']}/read", {"seq": DB_INTEGER_MAX}).status_code == 204


def _integer_inputs(schema: dict):
    """(method, path, where, name, declared schema) of every integer a client sends."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["schema"].get("type") == "integer":
                    yield method, path, parameter["in"], parameter["name"], parameter["schema"]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                for name, field in resolve(schema, body["schema"]).get("properties", {}).items():
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
    inputs = list(_integer_inputs(document(world["client"])))
    assert len(inputs) > 20  # path ids, seqs, limits, pages, wallet ids and amounts
    unbounded = [(method, path, name) for method, path, _, name, field in inputs if "maximum" not in field]
    assert unbounded == []
    assert all(field["maximum"] <= DB_INTEGER_MAX for *_, field in inputs)


def test_huge_integers_in_every_path_query_and_body_are_client_errors(world):
    schema = document(world["client"])
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
