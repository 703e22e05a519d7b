"""The documentation cannot fall behind the code: every frame type, error code and close code
the code has is in docs/websocket.md; the pages are linked and served; the example session
in the docs works against a live node as written."""

import ast
import json
import queue
import re
import subprocess
import sys
import threading
import urllib.request

import pytest

from chat.realtime import protocol
from chat.tests.live import ROOT, WebNode

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


def test_the_contract_the_pages_cite_is_in_the_repository():
    # The team's API.md lives outside the repository: the pages cite the copy in docs/.
    pages = {"README.md": (ROOT / "README.md").read_text()} | {
        page.name: page.read_text() for page in DOCS.glob("*.md") if page.name != "api.md"
    }
    assert {name for name, text in pages.items() if "API.md" in text} == set()
    assert "docs/api.md" in pages["README.md"] and "## Additions (v3)" in (DOCS / "api.md").read_text()


@pytest.mark.django_db
def test_the_docs_are_served_and_the_api_docs_link_them(client):
    page = client.get("/docs/websocket.md")
    assert page.status_code == 200 and page.content.decode() == PROTOCOL_DOC
    assert client.get("/docs/nothing.md").status_code == 404
    schema = client.get("/api/schema/?format=json").json()
    assert "/docs/websocket.md" in schema["info"]["description"]


def _example() -> tuple[list[tuple[str, dict]], list[tuple[dict, list[dict]]]]:
    """The example session as the page writes it: the REST calls before it (path and body of each
    curl), and each frame sent with the frames the page says come back."""
    section = PROTOCOL_DOC[PROTOCOL_DOC.index("## An example session") :]
    shell, session = re.findall(r"```(?:sh)?\n(.*?)```", section, re.S)[:2]
    calls = [(path, json.loads(body)) for path, body in re.findall(r"8000(/api/\S+) .*?\n\s*-d '(.*?)'", shell)]
    steps = []
    for line in session.splitlines():
        if line.startswith("> "):
            steps.append((json.loads(line[2:]), []))
        elif line.startswith("< "):
            steps[-1][1].append(json.loads(line[2:]))
    return calls, steps


# New on every run, as the page says; the rest must be as written.
VOLATILE = {"id", "created_at"}


def _as_written(frame: dict) -> dict:
    return {key: "…" if key in VOLATILE else value for key, value in frame.items()}


def _in_either_order(frames: list[dict]) -> list[dict]:
    """The page: the ack and one's own message come in either order (so an adjacent pair is put ack first)."""
    frames = list(frames)
    for index in range(len(frames) - 1):
        if (frames[index]["type"], frames[index + 1]["type"]) == ("message", "ack"):
            frames[index], frames[index + 1] = frames[index + 1], frames[index]
    return frames


@pytest.mark.django_db(transaction=True, reset_sequences=True)  # a fresh database: channel 1, user 1
def test_the_example_session_happens_as_written(server_environment):
    calls, steps = _example()
    assert [path for path, _ in calls] == [
        "/api/auth/signup",
        "/api/auth/token",
        "/api/channels",
        "/api/channels/1/messages",
    ]
    node = WebNode(server_environment, "docs-node")
    try:
        token = None
        for path, body in calls:
            request = urllib.request.Request(
                f"{node.http_url}{path}",
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                token = token or json.loads(response.read()).get("access")
        client = subprocess.Popen(
            [sys.executable, str(DOCS / "ws_client.py"), node.ws_url, token],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        printed = queue.Queue()
        threading.Thread(target=lambda: [printed.put(line) for line in client.stdout], daemon=True).start()
        last_presence = None

        def next_frame() -> dict:
            nonlocal last_presence
            while True:
                line = printed.get(timeout=15)
                if not line.startswith("< "):
                    continue
                frame = json.loads(line[2:])
                if frame["type"] == "presence" and frame == last_presence:
                    continue  # the page: the same presence may come a second time
                last_presence = frame if frame["type"] == "presence" else last_presence
                return frame

        for sent, written in steps:
            client.stdin.write(json.dumps(sent) + "\n")
            client.stdin.flush()
            received = [next_frame() for _ in written]
            print(">", json.dumps(sent))
            for frame in received:
                print("<", json.dumps(frame, ensure_ascii=False, separators=(",", ":")))
            assert _in_either_order([_as_written(f) for f in received]) == _in_either_order(
                [_as_written(f) for f in written]
            ), sent
        client.stdin.close()
        client.wait(timeout=30)
        leftover = []
        while not printed.empty():
            line = printed.get()
            if line.startswith("< ") and json.loads(line[2:]) != last_presence:
                leftover.append(line)
        assert leftover == []
    finally:
        node.stop()
