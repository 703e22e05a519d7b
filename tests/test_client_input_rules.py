"""Rules on what a client sends that JSON Schema alone does not enforce, checked on every operation
of the OpenAPI document (so a new endpoint is covered the day it appears):

- an integer query parameter given empty, as a non-number or more than once is refused (400
  invalid, naming it), never read as absent or as its last value; a text one given more than
  once, or empty where the document gives it a minLength, likewise;
- NUL in any text a client sends (names, passwords, search terms, message bodies...) is refused
  (400 invalid, naming the field), as each text's pattern in the document says."""

import json
from urllib.parse import quote

import pytest

from tests.api_world import document, resolve

pytestmark = pytest.mark.django_db

NUL_TEXT = "a\x00b"


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield method, path, operation


def _url(world, path: str) -> str:
    return path.format(**world["ids"])


def _required_query(world, operation: dict, but: str) -> str:
    """The operation's other required query parameters, valid (a search's words, a wallet number)."""
    valid = {"q": "hello", "number": world["ids"]["wallet_id"]}
    required = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query" and p.get("required")]
    return "".join(f"&{name}={quote(str(valid[name]))}" for name in required if name != but)


def _refused_queries(world, kind: str, queries) -> tuple[list, list]:
    """Asks every operation with a query parameter of the JSON type `kind` each query that
    `queries(name, parameter_schema)` gives; (what was asked, what was not refused as it should be:
    400 invalid naming that parameter alone)."""
    client = world["client"].client
    asked, wrong = [], []
    for method, path, operation in _operations(document(world["client"])):
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query" or parameter["schema"].get("type") != kind:
                continue
            name = parameter["name"]
            for query in queries(name, parameter["schema"]):
                asked.append((path, query))
                url = f"{_url(world, path)}?{query}{_required_query(world, operation, but=name)}"
                response = getattr(client, method)(url)
                body = response.json() if response["Content-Type"] == "application/json" else {}
                if (response.status_code, body.get("code"), list(body.get("fields", {}))) != (400, "invalid", [name]):
                    wrong.append((method, path, query, response.status_code, response.content[:200]))
    return asked, wrong


def test_every_empty_repeated_or_non_integer_query_integer_is_refused(world):
    asked, wrong = _refused_queries(
        world, "integer", lambda name, _: (f"{name}=", f"{name}=abc", f"{name}=abc&{name}=3", f"{name}=1&{name}=2")
    )
    # messages (before_seq, after_seq, limit), search (before_seq, limit), the channel list (page,
    # limit), the wallet lookup (number), the recipients (channel)
    assert {path for path, _ in asked} >= {
        "/api/channels",
        "/api/channels/{channel_id}/messages",
        "/api/channels/{channel_id}/messages/search",
    }
    assert len(asked) >= 4 * 9
    assert wrong == []


def test_every_repeated_query_text_and_an_empty_one_that_may_not_be_blank_is_refused(world):
    asked, wrong = _refused_queries(
        world, "string", lambda name, field: [f"{name}=a&{name}=b"] + ([f"{name}="] if field.get("minLength") else [])
    )
    # the channel list's search, the message search's words, the ledger's cursor
    assert {query for _, query in asked} >= {"search=a&search=b", "q=", "q=a&q=b", "cursor=", "cursor=a&cursor=b"}
    assert wrong == []


def _text_inputs(schema: dict):
    """(method, path, where, name) of every text a client sends: JSON body fields (or their items)
    and query parameters."""
    for method, path, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and parameter["schema"].get("type") == "string":
                yield method, path, "query", parameter["name"]
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            for name, field in resolve(schema, body["schema"]).get("properties", {}).items():
                if field.get("type") == "string" or field.get("items", {}).get("type") == "string":
                    yield method, path, "body", name


def test_nul_in_every_text_a_client_sends_is_refused_naming_the_field(world):
    schema = document(world["client"])
    client = world["client"].client
    inputs = list(_text_inputs(schema))
    names = {(path, name) for _, path, _, name in inputs}
    assert {
        ("/api/auth/signup", "username"),
        ("/api/auth/signup", "password"),
        ("/api/auth/token", "password"),
        ("/api/channels", "name"),
        ("/api/channels", "search"),
        ("/api/channels/{channel_id}/messages", "body"),
        ("/api/channels/{channel_id}/messages/search", "q"),
    } <= names
    wrong = []
    for method, path, where, name in inputs:
        if where == "query":
            query = f"?{name}={quote(NUL_TEXT)}{_required_query(world, schema['paths'][path][method], but=name)}"
            response = getattr(client, method)(f"{_url(world, path)}{query}")
        else:
            body = dict(world["bodies"].get((method, path), {}))
            field = resolve(
                schema, schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
            )
            body[name] = [NUL_TEXT] if field["properties"][name].get("type") == "array" else NUL_TEXT
            response = getattr(client, method)(_url(world, path), json.dumps(body), content_type="application/json")
        answer = response.json() if response["Content-Type"] == "application/json" else {}
        if (response.status_code, answer.get("code"), name in answer.get("fields", {})) != (400, "invalid", True):
            wrong.append((method, path, where, name, response.status_code, response.content[:200]))
    assert len(inputs) > 30
    assert wrong == []
