"""Club life in the chat (docs/api.md "Additions (v3)"): the channel's notice (공지) and polls, over REST
and real sockets on two nodes."""

import asyncio
from datetime import timedelta

import pytest
from django.utils import timezone

from chat.tests.live import Client, call
from conftest import EMBEDDED

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _of(kind: str):
    return lambda frame: frame["type"] == kind


async def test_the_owner_pins_a_notice_and_every_member_sees_it_live_until_it_is_taken_down(two_nodes, alice_and_bob):
    channel, alice, bob, a, b = alice_and_bob
    node_a, node_b = two_nodes
    ack = await a.send_message(channel.pk, "Hike on Saturday, 9:00 at the station", "plan")
    path = f"/api/channels/{channel.pk}/notice"

    assert (await call(node_b, "POST", path, bob, {"message_id": ack["id"]}))[0] == 403  # not the owner
    status, body = await call(node_a, "POST", path, alice, {"message_id": ack["id"]})
    assert status == 200
    assert (body["id"], body["notice"]["id"], body["notice"]["seq"]) == (channel.pk, ack["id"], ack["seq"])
    frame = (await b.recv_until(_of("channel_updated")))[-1]
    assert (frame["channel"], frame["notice"]["body"]) == (channel.pk, "Hike on Saturday, 9:00 at the station")
    status, seen = await call(node_b, "GET", f"/api/channels/{channel.pk}", bob)
    assert seen["notice"]["body"] == "Hike on Saturday, 9:00 at the station"

    # The notice follows its message: edited, it changes; deleted, it comes down.
    edited = "Hike on Saturday, 10:00 at the station"
    assert (await call(node_a, "PATCH", f"/api/channels/{channel.pk}/messages/{ack['id']}", alice, {"body": edited}))[
        0
    ] == 200
    frame = (await b.recv_until(_of("channel_updated")))[-1]
    assert frame["notice"]["body"] == edited
    assert (await call(node_a, "DELETE", f"/api/channels/{channel.pk}/messages/{ack['id']}", alice))[0] == 204
    frame = (await b.recv_until(_of("channel_updated")))[-1]
    assert frame["notice"] is None
    assert (await call(node_b, "GET", f"/api/channels/{channel.pk}", bob))[1]["notice"] is None

    # Pinned again and taken down by the owner.
    second = await b.send_message(channel.pk, "Dues are due Friday", "dues")
    assert (await call(node_a, "POST", path, alice, {"message_id": second["id"]}))[0] == 200
    assert (await b.recv_until(_of("channel_updated")))[-1]["notice"]["id"] == second["id"]
    assert (await call(node_b, "DELETE", path, bob))[0] == 403
    assert (await call(node_a, "DELETE", path, alice))[0] == 204
    assert (await b.recv_until(_of("channel_updated")))[-1]["notice"] is None
    assert (await call(node_a, "DELETE", path, alice))[0] == 404


async def test_a_notice_must_be_a_message_of_the_channel(two_nodes, room):
    channel, (alice,) = await room("alice")
    other, (carol,) = await room("carol")
    node_a, _node_b = two_nodes
    c = await Client.subscribed(node_a.ws_url, carol, other.pk)
    elsewhere = await c.send_message(other.pk, "not yours", "elsewhere")
    path = f"/api/channels/{channel.pk}/notice"
    a = await Client.subscribed(node_a.ws_url, alice, channel.pk)
    gone = await a.send_message(channel.pk, "wrong time, ignore", "gone")
    assert (await call(node_a, "DELETE", f"/api/channels/{channel.pk}/messages/{gone['id']}", alice))[0] == 204
    for message_id in (elsewhere["id"], gone["id"], "0" * 32, "not-an-id"):
        status, body = await call(node_a, "POST", path, alice, {"message_id": message_id})
        assert (status, body["code"], list(body["fields"])) == (400, "invalid", ["message_id"])
    assert (await call(node_a, "GET", f"/api/channels/{channel.pk}", alice))[1]["notice"] is None
    assert [f for f in await a.flush() if f["type"] == "channel_updated"] == []  # nobody heard of a notice
    await c.close()
    await a.close()


def _poll_frame(poll_id: int, **wanted):
    def matches(frame: dict) -> bool:
        return (
            frame["type"] == "poll"
            and frame["poll"]["id"] == poll_id
            and all(frame["poll"][key] == value for key, value in wanted.items())
        )

    return matches


def _counts(poll: dict) -> dict[str, int]:
    return {option["text"]: option["votes"] for option in poll["options"]}


async def test_a_poll_is_a_card_in_the_chat_whose_counts_change_live_until_it_is_closed(two_nodes, room):
    channel, (alice, bob, carol) = await room("alice", "bob", "carol")
    node_a, node_b = two_nodes
    a = await Client.connect(node_a.ws_url, alice)
    b = await Client.connect(node_b.ws_url, bob)
    for client in (a, b):
        await client.subscribe(channel.pk)

    status, poll = await call(
        node_b,
        "POST",
        f"/api/channels/{channel.pk}/polls",
        bob,
        {"question": "Hike on Saturday?", "options": ["Going", "Not going"], "multiple": False},
    )
    assert status == 201
    assert (_counts(poll), poll["closed"], poll["voters"]) == ({"Going": 0, "Not going": 0}, False, [])
    card = (await a.recv_until(lambda f: f["type"] == "message" and "poll" in f))[-1]
    assert (card["sender"]["id"], card["poll"]["id"], card["poll"]["question"]) == (
        bob.pk,
        poll["id"],
        "Hike on Saturday?",
    )
    going, not_going = (option["id"] for option in poll["options"])

    vote = f"/api/polls/{poll['id']}/vote"
    status, body = await call(node_a, "POST", vote, alice, {"options": [going]})
    assert (status, _counts(body)) == (200, {"Going": 1, "Not going": 0})
    seen = (await b.recv_until(_poll_frame(poll["id"])))[-1]
    assert (seen["channel"], _counts(seen["poll"])) == (channel.pk, {"Going": 1, "Not going": 0})
    assert seen["poll"]["voters"] == [{"user": {"id": alice.pk, "username": "alice"}, "options": [going]}]
    assert (await call(node_b, "POST", vote, carol, {"options": [going]}))[0] == 200
    # Alice changes her mind: her vote is replaced, not added.
    assert (await call(node_a, "POST", vote, alice, {"options": [not_going]}))[0] == 200
    seen = (
        await b.recv_until(
            _poll_frame(
                poll["id"],
                options=[
                    {"id": going, "text": "Going", "votes": 1},
                    {"id": not_going, "text": "Not going", "votes": 1},
                ],
            )
        )
    )[-1]
    assert {voter["user"]["username"]: voter["options"] for voter in seen["poll"]["voters"]} == {
        "alice": [not_going],
        "carol": [going],
    }
    status, body = await call(node_a, "POST", vote, alice, {"options": [going, not_going]})
    assert (status, body["code"], list(body["fields"])) == (400, "invalid", ["options"])  # one choice only

    # Only its creator (or the channel's owner) closes it; then no vote counts.
    assert (await call(node_a, "POST", f"/api/polls/{poll['id']}/close", carol))[0] == 403
    status, body = await call(node_b, "POST", f"/api/polls/{poll['id']}/close", bob)
    assert (status, body["closed"]) == (200, True)
    assert (await a.recv_until(_poll_frame(poll["id"], closed=True)))[-1]["poll"]["closed"] is True
    status, body = await call(node_a, "POST", vote, alice, {"options": [going]})
    assert (status, body["code"]) == (409, "conflict")

    # History shows the card as the poll is now; someone outside the channel sees nothing of it.
    status, page = await call(node_a, "GET", f"/api/channels/{channel.pk}/messages", alice)
    (shown,) = [message["poll"] for message in page["results"] if "poll" in message]
    assert (shown["closed"], _counts(shown)) == (True, {"Going": 1, "Not going": 1})
    outsider = (await room("dave"))[1][0]
    assert (await call(node_a, "GET", f"/api/polls/{poll['id']}", outsider))[0] == 403
    assert (await call(node_a, "POST", vote, outsider, {"options": [going]}))[0] == 403
    for client in (a, b):
        await client.close()


async def test_a_multiple_choice_poll_takes_several_options_of_its_own(two_nodes, room):
    channel, (alice,) = await room("alice")
    node_a, _node_b = two_nodes
    path = f"/api/channels/{channel.pk}/polls"
    status, body = await call(node_a, "POST", path, alice, {"question": "Which?", "options": ["Only one"]})
    assert (status, list(body["fields"])) == (400, ["options"])
    status, body = await call(node_a, "POST", path, alice, {"question": "Which?", "options": ["Same", " same "]})
    assert (status, list(body["fields"])) == (400, ["options"])
    past = {"question": "When?", "options": ["Sat", "Sun"], "closes_at": "2020-01-01T00:00:00Z"}
    assert (await call(node_a, "POST", path, alice, past))[1]["fields"].keys() == {"closes_at"}
    status, poll = await call(
        node_a, "POST", path, alice, {"question": "Which days?", "options": ["Sat", "Sun", "Mon"], "multiple": True}
    )
    sat, sun, _mon = (option["id"] for option in poll["options"])
    status, body = await call(node_a, "POST", f"/api/polls/{poll['id']}/vote", alice, {"options": [sat, sun]})
    assert (status, _counts(body)) == (200, {"Sat": 1, "Sun": 1, "Mon": 0})
    _other, other_poll = await call(
        node_a, "POST", path, alice, {"question": "Else?", "options": ["x", "y"], "multiple": True}
    )
    status, body = await call(
        node_a, "POST", f"/api/polls/{poll['id']}/vote", alice, {"options": [other_poll["options"][0]["id"]]}
    )
    assert (status, list(body["fields"])) == (400, ["options"])
    assert _counts((await call(node_a, "GET", f"/api/polls/{poll['id']}", alice))[1]) == {"Sat": 1, "Sun": 1, "Mon": 0}


async def test_the_channels_owner_closes_a_members_poll_and_votes_on_it_stop(two_nodes, room):
    channel, (alice, bob, carol) = await room("alice", "bob", "carol")
    node_a, node_b = two_nodes
    b = await Client.subscribed(node_b.ws_url, bob, channel.pk)
    _status, poll = await call(
        node_b, "POST", f"/api/channels/{channel.pk}/polls", bob, {"question": "MT?", "options": ["yes", "no"]}
    )
    yes = poll["options"][0]["id"]
    assert (await call(node_b, "POST", f"/api/polls/{poll['id']}/vote", carol, {"options": [yes]}))[0] == 200
    assert (await call(node_b, "POST", f"/api/polls/{poll['id']}/close", carol))[0] == 403  # a voter is not enough
    status, body = await call(node_a, "POST", f"/api/polls/{poll['id']}/close", alice)  # alice owns the channel
    assert (status, body["closed"]) == (200, True)
    assert (await b.recv_until(_poll_frame(poll["id"], closed=True)))[-1]["poll"]["closed"] is True
    status, body = await call(node_b, "POST", f"/api/polls/{poll['id']}/vote", carol, {"options": []})
    assert (status, body["code"]) == (409, "conflict")  # nor take a vote back
    assert _counts((await call(node_b, "GET", f"/api/polls/{poll['id']}", bob))[1]) == {"yes": 1, "no": 0}
    await b.close()


@pytest.mark.skipif(EMBEDDED, reason="Celery workers need the broker; the embedded mode runs beat in its web process")
async def test_a_poll_closes_at_its_closing_time_exactly_once_even_with_two_beats(two_nodes, worker_factory, room):
    """Two workers, each with its own beat (a deployment mistake): both tick, the poll closes once."""
    channel, (alice, bob) = await room("alice", "bob")
    node_a, node_b = two_nodes
    b = await Client.subscribed(node_b.ws_url, bob, channel.pk)
    worker_factory("celery-polls-1")
    worker_factory("celery-polls-2")
    closes_at = (timezone.now() + timedelta(seconds=3)).isoformat()
    status, poll = await call(
        node_a,
        "POST",
        f"/api/channels/{channel.pk}/polls",
        alice,
        {"question": "Pizza or chicken?", "options": ["Pizza", "Chicken"], "closes_at": closes_at},
    )
    assert (status, poll["closed"], poll["closes_at"] is not None) == (201, False, True)
    await call(node_b, "POST", f"/api/polls/{poll['id']}/vote", bob, {"options": [poll["options"][1]["id"]]})
    closed = (await b.recv_until(_poll_frame(poll["id"], closed=True), timeout=60))[-1]
    assert _counts(closed["poll"]) == {"Pizza": 0, "Chicken": 1}
    await asyncio.sleep(12)  # several more ticks of both beats
    later = [f for f in await b.flush() if f["type"] == "poll" and f["poll"]["id"] == poll["id"]]
    assert later == []
    assert (await call(node_b, "GET", f"/api/polls/{poll['id']}", bob))[1]["closed"] is True
    await b.close()


def _photo_upload(user, channel_id: int) -> dict:
    """A real JPEG uploaded through the service, as the REST view does (files and rows are shared with the nodes)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from chat.attachments import attachment_ref, attachment_upload

    data = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 80, 40)).save(data, format="JPEG")
    upload = SimpleUploadedFile("summit.jpg", data.getvalue(), content_type="image/jpeg")
    return attachment_ref(attachment_upload(user=user, channel_id=channel_id, upload=upload))


async def test_a_photo_sent_over_the_socket_reaches_the_other_node_live_in_history_and_on_resume(two_nodes, room):
    import urllib.request

    from asgiref.sync import sync_to_async

    from chat.tests.live import access_token

    channel, (alice, bob) = await room("alice", "bob")
    node_a, node_b = two_nodes
    photo = await sync_to_async(_photo_upload)(alice, channel.pk)
    a = await Client.connect(node_a.ws_url, alice)
    b = await Client.connect(node_b.ws_url, bob)
    for client in (a, b):
        await client.subscribe(channel.pk)
    ack = await a.send_message(channel.pk, "정상에서", "summit", attachments=[photo["id"]])
    assert ack["type"] == "ack"
    live = (await b.recv_until(lambda f: f["type"] == "message" and f["seq"] == ack["seq"]))[-1]
    assert [(p["id"], p["width"], p["height"], p["url"]) for p in live["attachments"]] == [
        (photo["id"], 800, 600, photo["url"])
    ]

    def fetch(path: str, user) -> tuple[int, bytes]:
        request = urllib.request.Request(
            f"{node_b.http_url}{path}", headers={"Authorization": f"Bearer {access_token(user)}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()

    status, data = await sync_to_async(fetch)(live["attachments"][0]["thumbnail_url"], bob)
    assert (status, data[:2]) == (200, b"\xff\xd8")  # a JPEG

    # another phone of Bob's, resuming from the start
    later = await Client.subscribed(node_b.ws_url, bob, channel.pk, since_seq=0)
    resumed = (await later.recv_until(lambda f: f["type"] == "message" and f["seq"] == ack["seq"]))[-1]
    assert [p["id"] for p in resumed["attachments"]] == [photo["id"]]
    status, page = await call(node_a, "GET", f"/api/channels/{channel.pk}/messages", bob)
    assert [p["id"] for p in page["results"][-1]["attachments"]] == [photo["id"]]

    carol_channel, (carol,) = await room("carol")
    elsewhere = await sync_to_async(_photo_upload)(carol, carol_channel.pk)
    refused = await a.send_message(channel.pk, "not mine", "not-mine", attachments=[elsewhere["id"]])
    assert (refused["type"], refused["code"]) == ("error", "bad_request")
    for client in (a, b, later):
        await client.close()
