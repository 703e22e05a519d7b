"""Random frames of every JSON shape, type, size and encoding against two live nodes.

Three users send what Hypothesis draws (frames right and wrong, of every type the protocol has
and some it has not: wrong types in every field (seqs, versions, reply_to included),
huge and deeply nested values, lone surrogates, NUL characters, frames over 64 KiB counted in
bytes, binary frames, text that is not JSON) while an observer on the other node only listens.
After each example: every socket is still open and answered every frame, every error is one
of the protocol's codes, no node logged a traceback, the non-member got nothing of the
channel, the channel's history is exactly the acknowledged messages with no gap, and the
observer (resuming from where it stopped) got each of them once, in order.
"""

import asyncio
import json
import urllib.request

import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels_app.tests.factories import channel_with_members
from chat.tests.live import ROOT, Client, WebNode, access_token, node_pair

pytestmark = pytest.mark.django_db(transaction=True)

REPLIES = {"ack", "subscribed", "unsubscribed", "pong", "error"}
ERROR_CODES = {"bad_request", "forbidden", "not_found", "too_large", "rate_limited", "unavailable"}
FIGURES = ROOT / "var" / "test-artifacts" / "fuzz.json"
SENTINEL_CHANNEL = 2**62 + 12345

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)
odd_text = st.sampled_from(["\x00", "a\x00b", "\ud800", "x\udfff", "", " ", "é" * 4000, "a" * 4001, "😀" * 2000])


@pytest.fixture(scope="module")
def fuzz_nodes(server_environment):
    # Roomy limits: a drawn flood of typing or read frames is answered, not closed (4429 is tested elsewhere).
    env = {
        **server_environment,
        "CHAT_TYPING_RATE_PER_SECOND": "1000",
        "CHAT_TYPING_BURST": "1000",
        "CHAT_SUBSCRIBE_RATE_PER_SECOND": "1000",
        "CHAT_SUBSCRIBE_BURST": "1000",
        "CHAT_READ_RATE_PER_SECOND": "1000",
        "CHAT_READ_BURST": "1000",
    }
    with node_pair(env, "fuzz") as nodes:
        yield nodes


@pytest.fixture
def people():
    channel, users = channel_with_members(name="fuzzed", usernames=["fa", "fb", "fobserver"])
    other, (stranger,) = channel_with_members(name="elsewhere", usernames=["fmallory"])
    return {"channel": channel.pk, "other": other.pk, "users": [*users[:2], stranger], "observer": users[2]}


def frames(channel: int, other: int):
    channels = st.one_of(
        st.just(channel),
        st.just(other),
        st.integers(),
        st.integers(min_value=2**63, max_value=2**70),
        json_values,
    )
    bodies = st.one_of(st.text(min_size=1, max_size=40), odd_text, json_values)
    client_msg_ids = st.one_of(st.uuids().map(str), st.text(max_size=70), odd_text, json_values)
    fields = st.fixed_dictionaries(
        {"type": st.sampled_from(["subscribe", "unsubscribe", "send", "typing", "read", "ping"]) | json_values},
        optional={
            "channel": channels,
            "body": bodies,
            "client_msg_id": client_msg_ids,
            "since_seq": st.integers() | json_values,
            "since_version": st.integers() | json_values,
            "seq": st.integers() | st.integers(min_value=2**63, max_value=2**70) | json_values,
            "reply_to": st.text(max_size=40) | odd_text | json_values,
            "extra": json_values,
        },
    )
    sends = st.fixed_dictionaries(
        {"type": st.just("send"), "channel": st.just(channel), "body": st.text(min_size=1, max_size=300)},
    ).flatmap(lambda frame: st.uuids().map(lambda uuid: {**frame, "client_msg_id": str(uuid)}))
    text = st.one_of(
        st.tuples(fields | sends | sends | json_values, st.booleans()).map(lambda pair: _json_text(*pair)),
        st.text(max_size=60),  # mostly not JSON
        st.integers(1, 40_000).map(lambda depth: '{"type":"ping","x":' + "[" * depth + "]" * depth + "}"),
        st.integers(65_000, 70_000).map(lambda size: json.dumps({"type": "ping", "pad": "x" * size})),
        st.integers(16_000, 22_000).map(
            lambda size: json.dumps({"type": "ping", "pad": "가" * size}, ensure_ascii=False)
        ),
    )
    return st.one_of(text, st.binary(max_size=80))


def _json_text(value, ascii_only: bool) -> str:
    """JSON text as a client sends it; a lone surrogate cannot travel raw in a text frame, only escaped."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    try:
        text.encode()
    except UnicodeEncodeError:
        return json.dumps(value)
    return text


def _history(node: WebNode, user, channel: int, after_seq: int) -> list[dict]:
    request = urllib.request.Request(
        f"{node.http_url}/api/channels/{channel}/messages?after_seq={after_seq}&limit=100",
        headers={"Authorization": f"Bearer {access_token(user)}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["results"]


class Run:
    """What the examples of one test found so far (each example goes on from the last one)."""

    def __init__(self):
        self.last_seq = 0
        self.acked: dict[int, str] = {}
        self.frames = 0
        self.examples = 0
        self.log_offsets: dict[str, int] = {}

    def new_log_lines(self, node: WebNode) -> str:
        text = node.log_path.read_text(errors="replace")
        start = self.log_offsets.get(node.name, 0)
        self.log_offsets[node.name] = len(text)
        return text[start:]


async def _example(nodes, people, drawn: list[tuple[int, str | bytes]], run: Run) -> None:
    channel = people["channel"]
    observer = await Client.connect(nodes[1].ws_url, people["observer"])
    assert (await observer.subscribe(channel, since_seq=run.last_seq))["type"] == "subscribed"
    sockets = [await Client.connect(nodes[i % 2].ws_url, user) for i, user in enumerate(people["users"])]
    sent = [0] * len(sockets)
    for who, frame in drawn:
        await sockets[who].connection.send(frame)
        sent[who] += 1
    acks: dict[int, str] = {}
    for who, client in enumerate(sockets):
        try:
            # A reply nothing drawn can produce, after everything: the socket is open and caught up.
            await client.send(type="unsubscribe", channel=SENTINEL_CHANNEL)
            received = await client.recv_until(lambda f: f == {"type": "unsubscribed", "channel": SENTINEL_CHANNEL})
            received = received[:-1]
        except websockets.ConnectionClosed as closed:
            raise AssertionError(f"socket {who} was closed ({closed}) by frames {drawn}") from None
        replies = [frame for frame in received if frame["type"] in REPLIES]
        # Typing and read frames are answered only when refused.
        unanswered = sum(1 for w, f in drawn if w == who and ('"typing"' in str(f) or '"read"' in str(f)))
        assert len(replies) >= sent[who] - unanswered
        for frame in received:
            if frame["type"] == "error":
                assert frame["code"] in ERROR_CODES and isinstance(frame["detail"], str)
            if frame["type"] == "ack" and frame["channel"] == channel:
                acks[frame["seq"]] = frame["id"]
            if frame["type"] == "message" and frame["channel"] == channel and who == 2:
                raise AssertionError("the non-member got a message of the channel")
        seqs = [frame["seq"] for frame in received if frame["type"] == "message" and frame["channel"] == channel]
        assert seqs == sorted(set(seqs))  # once each, in order
        await client.close()

    # A client_msg_id drawn again (Hypothesis replays examples) gets its first ack again.
    repeated = {seq: message_id for seq, message_id in acks.items() if seq <= run.last_seq}
    assert all(run.acked[seq] == message_id for seq, message_id in repeated.items())
    acks = {seq: message_id for seq, message_id in acks.items() if seq > run.last_seq}
    expected = list(range(run.last_seq + 1, run.last_seq + 1 + len(acks)))
    assert sorted(acks) == expected  # every new seq acknowledged to someone, none skipped
    run.acked.update(acks)
    observed = []
    while len(observed) < len(acks):
        frame = await observer.recv(timeout=10)
        if frame["type"] == "message":
            observed.append((frame["seq"], frame["id"]))
    assert observed == sorted(acks.items())
    history = await asyncio.to_thread(_history, nodes[0], people["users"][0], channel, run.last_seq)
    assert [(message["seq"], message["id"]) for message in history] == sorted(acks.items())
    await observer.close()
    for node in nodes:
        assert "Traceback" not in run.new_log_lines(node)
    run.last_seq = expected[-1] if expected else run.last_seq
    run.frames += len(drawn)
    run.examples += 1


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_random_frames_break_nothing(fuzz_nodes, people, data):
    run = _RUNS.setdefault(people["channel"], Run())
    drawn = data.draw(
        st.lists(st.tuples(st.integers(0, 2), frames(people["channel"], people["other"])), min_size=10, max_size=40)
    )
    asyncio.run(_example(fuzz_nodes, people, drawn, run))
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps({"examples": run.examples, "frames": run.frames, "messages": run.last_seq}))


_RUNS: dict[int, Run] = {}
