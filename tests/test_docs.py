"""The documentation cannot fall behind the code: every frame type, error code and close code
the code has is in docs/websocket.md; the pages are linked and served; the example session
in the docs works against a live node as written."""

import ast
import json
import re
import subprocess
import sys

import pytest

from chat.realtime import protocol
from chat.tests.live import ROOT, WebNode, access_token

DOCS = ROOT / "docs"
PROTOCOL_DOC = (DOCS / "websocket.md").read_text()


def _server_frame_types() -> set[str]:
    """Every "type" of a frame the server builds, read from the code that builds frames."""
    types = {"message"}  # chat.selectors.message_frame adds it to a stored message
    for path in [
        *(ROOT / "chat" / "realtime").glob("*.py"),
        ROOT / "chat" / "events.py",
        ROOT / "chat" / "selectors.py",
    ]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "type" and isinstance(value, ast.Constant):
                        types.add(value.value)
    return {kind for kind in types if not kind.startswith("websocket.")}  # ASGI's, not the protocol's


def _client_frame_types() -> set[str]:
    return {frame.__struct_config__.tag for frame in protocol.ClientFrame.__args__}


def test_every_frame_type_is_documented():
    types = _server_frame_types() | _client_frame_types()
    assert {"subscribe", "send", "ack", "message", "resync", "reconnect", "error", "message_edited", "read"} <= types
    undocumented = {kind for kind in types if f'"type": "{kind}"' not in PROTOCOL_DOC}
    assert undocumented == set()


def test_every_error_code_and_close_code_is_documented():
    constants = {name: value for name, value in vars(protocol).items() if name.isupper()}
    closes = {value for name, value in constants.items() if name.startswith("CLOSE_")}
    errors = {value for name, value in constants.items() if isinstance(value, str)}
    assert {4401, 4408, 4429, 4503} <= closes and {"bad_request", "unavailable"} <= errors
    assert {code for code in closes if f"| {code} |" not in PROTOCOL_DOC} == set()
    assert {code for code in errors if f"| `{code}` |" not in PROTOCOL_DOC} == set()


def test_the_pages_link_each_other_and_the_readme_links_them():
    readme = (ROOT / "README.md").read_text()
    for page in ("websocket.md", "delivery.md", "architecture.md", "operations.md"):
        assert f"docs/{page}" in readme
    for page in DOCS.glob("*.md"):
        for target in re.findall(r"\]\(([a-z-]+\.md)\)", page.read_text()):
            assert (DOCS / target).is_file(), f"{page.name} links {target}"


@pytest.mark.django_db
def test_the_docs_are_served_and_the_api_docs_link_them(client):
    page = client.get("/docs/websocket.md")
    assert page.status_code == 200 and page.content.decode() == PROTOCOL_DOC
    assert client.get("/docs/nothing.md").status_code == 404
    schema = client.get("/api/schema/?format=json").json()
    assert "/docs/websocket.md" in schema["info"]["description"]


@pytest.mark.django_db(transaction=True)
def test_the_example_session_works_as_written(server_environment):
    from channels_app.tests.factories import channel_with_members

    channel, (ada,) = channel_with_members(name="docs", usernames=["ada"])
    node = WebNode(server_environment, "docs-node")
    frames = [
        {"type": "subscribe", "channel": channel.pk, "since_seq": 0},
        {"type": "send", "channel": channel.pk, "body": "hello", "client_msg_id": "c-2"},
        {"type": "send", "channel": channel.pk, "body": "hello", "client_msg_id": "c-2"},
        {"type": "ping"},
        {"type": "subscribe", "channel": "general"},
    ]
    try:
        session = subprocess.run(
            [sys.executable, str(DOCS / "ws_client.py"), node.ws_url, access_token(ada)],
            input="\n".join(json.dumps(frame) for frame in frames) + "\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        node.stop()
    received = [json.loads(line[2:]) for line in session.stdout.splitlines() if line.startswith("< ")]
    kinds = [frame["type"] for frame in received]
    assert kinds.count("ack") == 2 and kinds.count("message") == 1  # the repeat is acknowledged, not delivered
    assert {"subscribed", "pong", "error"} <= set(kinds)
    assert next(frame for frame in received if frame["type"] == "error")["code"] == "bad_request"
