"""The OpenAPI document tells the truth: every write advertises its own body, names and ids are
unique, the Swagger page explains authentication and the WebSocket."""

import re
from collections import Counter

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    return client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def _body(schema, path, method="post") -> dict:
    ref = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_spectacular_generates_the_document_without_a_warning(tmp_path):
    # --fail-on-warn: clashing component names, colliding operationIds, unresolvable fields.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/api/auth/signup", {"email", "username", "password"}),
        ("/api/channels", {"name", "description", "password"}),
        ("/api/channels/{channel_id}/join", {"password"}),
        ("/api/channels/{channel_id}/owner", {"user_id"}),
        ("/api/channels/{channel_id}/messages", {"body", "client_msg_id", "reply_to", "attachments"}),
        ("/api/channels/{channel_id}/notice", {"message_id"}),
        ("/api/channels/{channel_id}/polls", {"question", "options", "multiple", "closes_at"}),
        ("/api/polls/{poll_id}/vote", {"options"}),
        ("/api/polls/{poll_id}/dues", {"wallet", "amount", "option"}),
        ("/api/channels/{channel_id}/splits", {"title", "total", "members", "shares", "to_wallet"}),
        ("/api/splits/{split_id}/pay", {"pin"}),
        ("/api/channels/{channel_id}/read", {"seq"}),
        ("/api/channels/{channel_id}/group-wallets", {"name", "description"}),
        ("/api/wallets", {"pin"}),
        ("/api/wallets/{wallet_id}/deposit", {"amount"}),
        ("/api/wallets/{wallet_id}/withdraw", {"amount", "pin"}),
        ("/api/wallets/{wallet_id}/dues", {"title", "amount", "due_date"}),
        ("/api/transfers", {"from_wallet", "to_wallet", "amount", "pin", "memo"}),
        ("/api/scheduled-transfers", {"from_wallet", "to_wallet", "amount", "pin", "execute_at", "repeat", "memo"}),
        ("/api/dues/{dues_id}/pay", {"pin"}),
    ],
)
def test_every_write_advertises_its_own_body(schema, path, fields):
    assert set(_body(schema, path)["properties"]) == fields


def test_the_channel_update_advertises_its_optional_fields(schema):
    body = _body(schema, "/api/channels/{channel_id}", method="patch")
    assert set(body["properties"]) == {"name", "description", "password"} and "required" not in body


def test_operation_ids_are_unique_and_operations_are_tagged_by_app(schema):
    operations = [(path, op) for path, ops in schema["paths"].items() for op in ops.values()]
    ids = Counter(op["operationId"] for _, op in operations)
    assert [name for name, count in ids.items() if count > 1] == []
    tags = {path: op["tags"] for path, op in operations}
    assert tags["/api/auth/signup"] == ["accounts"]
    assert tags["/api/channels/{channel_id}/join"] == ["channels"]
    assert tags["/api/channels/{channel_id}/members/{user_id}"] == ["channels"]
    assert tags["/api/channels/{channel_id}/owner"] == ["channels"]
    assert tags["/api/channels/{channel_id}/messages"] == ["chat"]
    assert tags["/api/channels/{channel_id}/messages/search"] == ["chat"]
    assert tags["/api/transfers"] == ["wallets"]
    assert {tag["name"] for tag in schema["tags"]} == {"accounts", "channels", "chat", "wallets"}


def test_a_personal_wallet_body_is_valid_against_the_wallet_schema(schema, api_client):
    from accounts.tests.factories import UserFactory

    wallet = schema["components"]["schemas"]["WalletOutput"]
    api_client.force_authenticate(UserFactory())
    body = api_client.post("/api/wallets", {"pin": "1234"}, format="json").json()
    assert "channel" not in body and "member_count" not in body
    assert set(wallet["required"]) <= set(body)
    assert {"channel", "member_count"} <= set(wallet["properties"])


def test_every_operation_documents_the_error_body(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            error = operation["responses"]["400"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}, (method, path)
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "detail"]


def test_the_description_explains_authentication_and_the_websocket(schema):
    description = schema["info"]["description"]
    assert "Authorization: Bearer" in description and "sessionid" in description and "X-CSRFToken" in description
    for close_code in ("4401", "4408", "4429", "4503"):
        assert close_code in description
    assert {"jwtAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def _untyped_objects(node, where=""):
    """Objects whose fields the document does not name: a generated client can only hand back a dict."""
    if isinstance(node, dict):
        if (
            node.get("type") == "object"
            and "properties" not in node
            and node.get("additionalProperties") in (None, {}, True)
        ):
            yield where
        for key, value in node.items():
            yield from _untyped_objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _untyped_objects(value, f"{where}/{index}")


def test_every_success_with_a_body_documents_its_body(schema):
    # A 2xx documented without a body is `None` to openapi-python-client and `never` to openapi-typescript.
    bodiless = [
        (method, path, status)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if status.startswith("2") and status != "204" and not response.get("content")
    ]
    assert bodiless == []
    assert list(_untyped_objects(schema["components"]["schemas"])) == []
    token = schema["paths"]["/api/auth/token"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert token == {"$ref": "#/components/schemas/TokenOutput"}
    assert schema["components"]["schemas"]["TokenOutput"]["required"] == ["access", "refresh"]


def _text_fields(schema):
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request"):
            for field_name, field in component.get("properties", {}).items():
                yield f"{name}.{field_name}", field.get("items", field)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    yield f"{method} {path} ?{parameter['name']}", parameter["schema"]


def test_every_text_a_client_sends_is_documented_to_refuse_nul(schema):
    # The server refuses NUL in names, search terms, passwords and message bodies (400 invalid);
    # a client reading the document learns it from each field's pattern (read as ECMA and Python read it).
    texts = {
        where: field["pattern"]
        for where, field in _text_fields(schema)
        if field.get("type") == "string" and "format" not in field and "enum" not in field
    }
    for where in ("SignupInputRequest.username", "SignInRequest.password", "ChannelMessagesInputRequest.body"):
        assert where in texts
    assert "get /api/channels ?search" in texts and "get /api/channels/{channel_id}/messages/search ?q" in texts
    assert {where for where, pattern in texts.items() if re.search(pattern, "ab\x00cd")} == set()
    username = texts["SignupInputRequest.username"]
    assert re.search(username, "ada") and not re.search(username, "  ")
