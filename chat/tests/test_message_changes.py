"""Edits, deletions, reactions, mentions, replies, read receipts and presence, over REST and real
sockets on two nodes; a client that was away gets every change it missed when it resumes."""

import asyncio
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from asgiref.sync import sync_to_async

from accounts.models import User
from accounts.tests.factories import UserFactory
from chat.models import Message
from chat.tests.live import Client, call
from conftest import EMBEDDED

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def _eventually(read, wanted, seconds: float = 20.0):
    """What `read` (a database query) returns once it returns `wanted`, or at the deadline."""
    for _attempt in range(int(seconds / 0.2)):
        found = await sync_to_async(read)()
        if found == wanted:
            return found
        await asyncio.sleep(0.2)
    return await sync_to_async(read)()


def _of(kind: str):
    return lambda frame: frame["type"] == kind


async def test_an_edit_a_deletion_and_reactions_reach_every_subscriber_and_history(two_nodes, room):
    channel, (alice, bob, carol) = await room("alice", "bob", "carol")
    node_a, node_b = two_nodes
    a = await Client.connect(node_a.ws_url, alice)
    b = await Client.connect(node_b.ws_url, bob)
    for client in (a, b):
        await client.subscribe(channel.pk)
    first = await a.send_message(channel.pk, "helo", "m1")
    second = await a.send_message(channel.pk, "to be deleted", "m2")
    path = f"/api/channels/{channel.pk}/messages"

    assert (await call(node_b, "PATCH", f"{path}/{first['id']}", bob, {"body": "mine now"}))[0] == 403
    status, edited = await call(node_a, "PATCH", f"{path}/{first['id']}", alice, {"body": "hello @bob"})
    assert status == 200 and edited["body"] == "hello @bob" and edited["edited_at"] and edited["mentions"] == [bob.pk]
    frame = (await b.recv_until(_of("message_edited")))[-1]
    assert (frame["id"], frame["seq"], frame["body"], frame["version"]) == (first["id"], 1, "hello @bob", 1)

    assert (await call(node_b, "POST", f"{path}/{first['id']}/reactions", bob, {"emoji": "👍"})) == (200, {"👍": 1})
    assert (await call(node_a, "POST", f"{path}/{first['id']}/reactions", carol, {"emoji": "👍"})) == (200, {"👍": 2})
    assert (await call(node_a, "POST", f"{path}/{first['id']}/reactions", carol, {"emoji": "👍"})) == (200, {"👍": 1})
    assert (await call(node_a, "POST", f"{path}/{first['id']}/reactions", carol, {"emoji": "nope"}))[0] == 400
    last = (await b.recv_until(lambda f: f["type"] == "reactions" and f["version"] == 4))[-1]
    assert (last["emoji"], last["count"]) == ("👍", 1)  # the changed emoji only (docs/api.md "Additions (v3)")

    assert (await call(node_b, "DELETE", f"{path}/{second['id']}", bob))[0] == 403  # neither sender nor owner
    assert (await call(node_a, "DELETE", f"{path}/{second['id']}", alice))[0] == 204
    deleted = (await a.recv_until(_of("message_deleted")))[-1]
    assert (deleted["id"], deleted["seq"], deleted["version"]) == (second["id"], 2, 5)

    status, page = await call(node_b, "GET", path, bob)
    first_now, second_now = page["results"]
    assert (first_now["body"], first_now["reactions"], first_now["mentions"]) == ("hello @bob", {"👍": 1}, [bob.pk])
    assert (second_now["seq"], second_now["deleted"], second_now["body"]) == (2, True, None)
    for client in (a, b):
        await client.close()


async def test_a_client_that_was_away_gets_the_changes_it_missed_when_it_resumes(two_nodes, alice_and_bob):
    channel, alice, bob, a, b = alice_and_bob
    node_a, node_b = two_nodes
    sent = [await a.send_message(channel.pk, f"m{i}", f"m{i}") for i in range(3)]
    await b.recv_until(lambda f: f["type"] == "message" and f["seq"] == 3)
    await b.close()  # bob has seq 3 and version 0

    path = f"/api/channels/{channel.pk}/messages"
    await call(node_a, "PATCH", f"{path}/{sent[0]['id']}", alice, {"body": "m0, edited"})
    await call(node_a, "POST", f"{path}/{sent[1]['id']}/reactions", alice, {"emoji": "🎉"})
    await call(node_a, "DELETE", f"{path}/{sent[2]['id']}", alice)
    new = await a.send_message(channel.pk, "while bob was away", "m3")

    b = await Client.connect(node_b.ws_url, bob)
    await b.send(type="subscribe", channel=channel.pk, since_seq=3, since_version=0)
    frames = await b.recv_until(lambda f: f["type"] == "message" and f["seq"] == 4)
    changes = [(f["type"], f["id"]) for f in frames if f["type"] in ("message_edited", "message_deleted", "reactions")]
    assert ("message_edited", sent[0]["id"]) in changes
    assert ("reactions", sent[1]["id"]) in changes
    assert ("message_deleted", sent[2]["id"]) in changes
    assert frames[0] == {"type": "subscribed", "channel": channel.pk, "last_seq": 4, "last_version": 3}
    assert frames[-1]["id"] == new["id"]
    assert [f for f in await b.flush() if f["type"] in ("message", "message_edited", "message_deleted")] == []
    for client in (a, b):
        await client.close()


async def test_mentions_replies_and_read_receipts(two_nodes, room):
    channel, (alice, bob) = await room("alice", "bob")
    node_a, node_b = two_nodes
    a = await Client.connect(node_a.ws_url, alice)
    bob_elsewhere = await Client.connect(node_b.ws_url, bob)  # not subscribed: mentions reach him anyway
    await a.subscribe(channel.pk)
    question = await a.send_message(channel.pk, "who pays, @Bob?", "q")
    mentioned = (await bob_elsewhere.recv_until(lambda f: f.get("event") == "mentioned"))[-1]
    assert mentioned["channel"] == channel.pk and mentioned["data"]["message"]["id"] == question["id"]

    answer = await a.send_message(channel.pk, "me", "a", reply_to=question["id"])
    assert answer["type"] == "ack"
    refused = await a.send_message(channel.pk, "?", "r", reply_to="0" * 32)
    assert refused["type"] == "error" and refused["code"] == "bad_request"

    status, page = await call(node_a, "GET", f"/api/channels/{channel.pk}/messages", alice)
    assert [(m["mentions"], m["reply_to"], m["unread_count"]) for m in page["results"]] == [
        ([bob.pk], None, 1),
        ([], question["id"], 1),
    ]
    await bob_elsewhere.send(type="subscribe", channel=channel.pk)
    snapshot = (await bob_elsewhere.recv_until(_of("read_receipts")))[-1]
    assert snapshot["reads"] == [{"user": alice.pk, "seq": 0}, {"user": bob.pk, "seq": 0}]
    await bob_elsewhere.send(type="read", channel=channel.pk, seq=1)
    receipt = (await a.recv_until(lambda f: f["type"] == "read_receipts" and f["reads"][0]["seq"] == 1))[-1]
    assert receipt["reads"] == [{"user": bob.pk, "seq": 1}]
    assert (receipt["user"], receipt["seq"]) == (bob.pk, 1)  # docs/api.md's form of one reader
    status, page = await call(node_a, "GET", f"/api/channels/{channel.pk}/messages", alice)
    assert [m["unread_count"] for m in page["results"]] == [0, 1]  # bob read the question, not the answer
    for client in (a, bob_elsewhere):
        await client.close()


async def _read_seen(client: Client, reader) -> int:
    """The seq the next read receipt of `reader` (past the subscribe snapshot's 0) tells the client."""

    def moved(frame: dict) -> bool:
        return frame["type"] == "read_receipts" and any(r["user"] == reader.pk and r["seq"] for r in frame["reads"])

    receipt = (await client.recv_until(moved))[-1]
    return next(r["seq"] for r in receipt["reads"] if r["user"] == reader.pk)


async def test_a_read_past_the_last_message_marks_only_what_exists(two_nodes, alice_and_bob):
    """A client that reads from the future (a bug, a stale cache) must not hide later messages
    from its own unread count, over the socket or over REST."""
    channel, alice, bob, a, b = alice_and_bob
    node_a, node_b = two_nodes
    for n in range(2):
        await a.send_message(channel.pk, f"before {n}", f"before-{n}")
    await b.send(type="read", channel=channel.pk, seq=2**62)
    assert await _read_seen(a, bob) == 2
    assert (await call(node_a, "POST", f"/api/channels/{channel.pk}/read", alice, {"seq": 10**15}))[0] == 204
    assert await _read_seen(b, alice) == 2

    await a.send_message(channel.pk, "after", "after")
    status, mine = await call(node_b, "GET", "/api/channels/mine", bob)
    assert [(c["id"], c["unread_count"]) for c in mine] == [(channel.pk, 1)]
    status, page = await call(node_a, "GET", f"/api/channels/{channel.pk}/messages", alice)
    assert [m["unread_count"] for m in page["results"]] == [0, 0, 1]  # bob has not read "after"


async def test_a_rename_a_new_password_and_a_hand_over_reach_every_subscriber(two_nodes, room):
    channel, (alice, bob) = await room("alice", "bob")
    node_a, node_b = two_nodes
    b = await Client.subscribed(node_b.ws_url, bob, channel.pk)

    def updated(frame: dict) -> bool:
        return frame["type"] == "event" and frame["event"] == "channel_updated"

    path = f"/api/channels/{channel.pk}"
    assert (await call(node_a, "PATCH", path, alice, {"name": "climbing club", "password": "rope"}))[0] == 200
    event = (await b.recv_until(updated))[-1]
    assert event["channel"] == channel.pk
    assert (event["data"]["channel"]["name"], event["data"]["channel"]["is_private"]) == ("climbing club", True)

    assert (await call(node_a, "POST", f"{path}/owner", alice, {"user_id": bob.pk}))[0] == 200
    event = (await b.recv_until(updated))[-1]
    assert event["data"]["channel"]["owner"]["id"] == bob.pk
    await b.close()


async def test_presence_tells_who_of_the_members_is_online(two_nodes, room):
    channel, (alice, bob) = await room("alice", "bob")
    node_a, node_b = two_nodes
    a = await Client.connect(node_a.ws_url, alice)
    await a.send(type="subscribe", channel=channel.pk)
    assert (await a.recv_until(_of("presence")))[-1]["online"] == [alice.pk]
    b = await Client.connect(node_b.ws_url, bob)
    online = (await a.recv_until(lambda f: f["type"] == "presence" and bob.pk in f["online"], timeout=10))[-1]
    assert online["online"] == [alice.pk, bob.pk]
    await b.close()
    offline = (await a.recv_until(lambda f: f["type"] == "presence" and bob.pk not in f["online"], timeout=10))[-1]
    assert offline["online"] == [alice.pk]
    await a.close()


async def test_a_member_who_joins_or_leaves_while_online_changes_the_channels_presence(two_nodes, room):
    channel, (alice,) = await room("alice")
    carol = await sync_to_async(UserFactory)(username="carol")
    node_a, node_b = two_nodes
    a = await Client.connect(node_a.ws_url, alice)
    await a.send(type="subscribe", channel=channel.pk)
    assert (await a.recv_until(_of("presence")))[-1]["online"] == [alice.pk]
    c = await Client.connect(node_b.ws_url, carol)  # online, not yet a member

    assert (await call(node_b, "POST", f"/api/channels/{channel.pk}/join", carol, {}))[0] == 200
    joined = (await a.recv_until(lambda f: f["type"] == "presence" and carol.pk in f["online"], timeout=10))[-1]
    assert joined["online"] == [alice.pk, carol.pk]
    assert (await call(node_b, "POST", f"/api/channels/{channel.pk}/leave", carol, {}))[0] == 204
    left = (await a.recv_until(lambda f: f["type"] == "presence" and carol.pk not in f["online"], timeout=10))[-1]
    assert left["online"] == [alice.pk]
    for client in (a, c):
        await client.close()


class AdminSession:
    """A moderator's browser on a node's admin, over HTTP: cookies, CSRF tokens and forms."""

    def __init__(self, node):
        self.node = node
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def _csrf_token(self, path: str) -> str:
        with self.opener.open(f"{self.node.http_url}{path}", timeout=10) as response:
            return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode())[1]

    def post(self, path: str, form: list[tuple[str, str]]) -> int:
        form = [("csrfmiddlewaretoken", self._csrf_token(path)), *form]
        request = urllib.request.Request(
            f"{self.node.http_url}{path}",
            data=urllib.parse.urlencode(form).encode(),
            headers={"Referer": f"{self.node.http_url}{path}"},
        )
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def get(self, path: str) -> int:
        try:
            with self.opener.open(f"{self.node.http_url}{path}", timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


def _moderator_deletes_in_the_admin(node, moderator_email: str, message_id: str) -> tuple[int, int]:
    """The admin's action on the message list, then its raw delete page: (action status, delete status)."""
    admin = AdminSession(node)
    assert admin.post("/admin/login/", [("username", moderator_email), ("password", "a-long-password-7")]) == 200
    action = admin.post("/admin/chat/message/", [("action", "delete_for_everyone"), ("_selected_action", message_id)])
    return action, admin.get(f"/admin/chat/message/{message_id}/delete/")


async def test_a_moderator_deletes_a_message_in_the_admin_and_every_subscriber_sees_it(two_nodes, worker_factory, room):
    channel, (alice, bob) = await room("alice", "bob")
    node_a, node_b = two_nodes
    if not EMBEDDED:
        worker_factory()  # moves sent messages to the SQL store, which the admin lists
    a = await Client.connect(node_a.ws_url, alice)
    b = await Client.connect(node_b.ws_url, bob)
    for client in (a, b):
        await client.subscribe(channel.pk)
    spam = await a.send_message(channel.pk, "buy cheap won here", "spam")
    kept = await a.send_message(channel.pk, "dues are 10,000 won", "kept")
    stored = await _eventually(lambda: Message.objects.filter(channel=channel, seq=2).exists(), True)
    assert stored, "the messages never reached the SQL store"

    moderator = await sync_to_async(User.objects.create_superuser)("mod@example.com", "mod", "a-long-password-7")
    action_status, raw_delete_status = await sync_to_async(_moderator_deletes_in_the_admin)(
        node_b, moderator.email, spam["id"]
    )
    assert (action_status, raw_delete_status) == (200, 403)  # rows are never deleted raw: no seq gap
    for client in (a, b):
        deleted = (await client.recv_until(_of("message_deleted")))[-1]
        assert (deleted["id"], deleted["seq"]) == (spam["id"], 1)
    status, page = await call(node_b, "GET", f"/api/channels/{channel.pk}/messages", bob)
    assert [(m["seq"], m["deleted"], m["body"]) for m in page["results"]] == [
        (1, True, None),
        (2, False, "dues are 10,000 won"),
    ]
    assert kept["seq"] == 2
    for client in (a, b):
        await client.close()


async def test_a_deleted_message_leaves_no_body_in_the_store_whether_it_was_stored_yet_or_not(
    two_nodes, worker_factory, room
):
    channel, (alice,) = await room("alice")
    node_a, _node_b = two_nodes
    a = await Client.subscribed(node_a.ws_url, alice, channel.pk)
    waiting = await a.send_message(channel.pk, "my PIN is 2468", "waiting")
    path = f"/api/channels/{channel.pk}/messages"
    assert (await call(node_a, "DELETE", f"{path}/{waiting['id']}", alice))[0] == 204  # no worker yet: in Redis
    if not EMBEDDED:
        worker_factory()
    stored = await a.send_message(channel.pk, "my password is hunter2", "stored")

    def bodies() -> dict[int, str]:
        return dict(Message.objects.filter(channel=channel).values_list("seq", "body"))

    expected = {1: "", 2: "my password is hunter2"}  # the worker redacts right after it stores
    assert await _eventually(bodies, expected) == expected

    assert (await call(node_a, "DELETE", f"{path}/{stored['id']}", alice))[0] == 204  # already in the store
    assert await sync_to_async(bodies)() == {1: "", 2: ""}
    await a.close()
