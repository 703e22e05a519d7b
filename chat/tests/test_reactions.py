"""Reactions members cannot flood (docs/api.md "Additions (v3)"): one emoji each, 20 distinct a message,
a person's pace, and a live frame that carries the changed emoji alone. As tried: a row of weather
signs passed as "one emoji", and one user put 1,800 reactions on a message, after which every
toggle sent every subscriber a 99 KB frame."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from rest_framework.test import APIClient

from channels_app.tests.factories import channel_with_members
from chat.services import message_send
from chat.tests.live import Client, call

# 25 faces, one code point each.
FACES = [chr(code) for code in range(0x1F600, 0x1F619)]


def _message(*usernames):
    channel, users = channel_with_members(name="room", usernames=list(usernames))
    message, _created = async_to_sync(message_send)(
        channel_id=channel.pk, sender_id=users[0].pk, sender_username=users[0].username, body="pizza?"
    )
    return channel, users, message


def _reactor(user, channel, message):
    client = APIClient()
    client.force_authenticate(user)
    url = f"/api/channels/{channel.pk}/messages/{message['id']}/reactions"
    return lambda emoji: client.post(url, {"emoji": emoji}, format="json")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "text", ["☀☁☂", "👍👍", "👍👎", "🇰🇷🇯🇵", "👍🏽👍🏽", "🇰", "❤\ufe0e", "a", "1", "👍 ", "→", "※", "♪♪", "🏽", "🦰"]
)
def test_anything_but_one_emoji_is_invalid(text):
    channel, (alice,), message = _message("alice")
    refused = _reactor(alice, channel, message)(text)
    assert (refused.status_code, refused.json()["code"], list(refused.json()["fields"])) == (400, "invalid", ["emoji"])


@pytest.mark.django_db(transaction=True)
def test_one_emoji_is_one_grapheme_of_unicodes_emoji_set():
    channel, (alice,), message = _message("alice")
    react = _reactor(alice, channel, message)
    # A skin tone, a family joined by ZWJ, two flags (a region's, England's tag sequence), a keycap,
    # a heart with its emoji presentation selector, a kiss of two skin tones (10 code points).
    graphemes = ("👍🏽", "👨‍👩‍👧", "🇰🇷", "🏴󠁧󠁢󠁥󠁮󠁧󠁿", "1️⃣", "❤️", "🫠", "👨🏻‍❤️‍💋‍👨🏼")
    for emoji in graphemes:
        assert react(emoji).status_code == 200, emoji
    assert react("👍").json() == {emoji: 1 for emoji in (*graphemes, "👍")}


@pytest.mark.django_db(transaction=True)
def test_an_emoji_with_or_without_its_presentation_selector_is_one_reaction():
    """❤ and ❤️ are one heart on screen: counted as one reaction (the form keyboards send), so the
    same emoji cannot take two of a message's 20 places or split its count."""
    channel, (alice, bob), message = _message("alice", "bob")
    assert _reactor(alice, channel, message)("❤").json() == {"❤️": 1}
    assert _reactor(bob, channel, message)("❤️").json() == {"❤️": 2}
    assert _reactor(alice, channel, message)("❤️").json() == {"❤️": 1}  # alice takes hers back
    assert _reactor(bob, channel, message)("☀").json() == {"❤️": 1, "☀️": 1}


@pytest.mark.django_db(transaction=True)
def test_a_message_holds_twenty_distinct_reactions_and_the_next_new_one_is_a_conflict():
    channel, (alice, bob), message = _message("alice", "bob")
    react = _reactor(alice, channel, message)
    assert [react(face).status_code for face in FACES[:20]] == [200] * 20
    refused = react(FACES[20])
    assert (refused.status_code, refused.json()["code"]) == (409, "conflict")
    assert _reactor(bob, channel, message)(FACES[0]).json()[FACES[0]] == 2  # one of the 20: still fine
    assert react(FACES[0]).json()[FACES[0]] == 1  # taking one back
    assert react(FACES[1]).status_code == 200
    assert react(FACES[20]).status_code == 200  # a place was freed


@pytest.mark.django_db(transaction=True)
def test_reactions_are_kept_to_a_persons_pace():
    channel, (alice, bob), message = _message("alice", "bob")
    react = _reactor(alice, channel, message)
    statuses = [react("👍").status_code for _ in range(61)]
    assert statuses == [200] * 60 + [429]  # THROTTLE_REACTIONS: 60/min by default
    limited = react("🎉")
    assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")
    assert _reactor(bob, channel, message)("👍").status_code == 200  # per person


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_live_reactions_frame_stays_small_however_many_reactions_the_message_has(two_nodes):
    node_a, node_b = two_nodes
    channel, (alice, bob), message = await asyncio.to_thread(_message, "alice", "bob")
    watcher = await Client.subscribed(node_b.ws_url, bob, channel.pk)
    path = f"/api/channels/{channel.pk}/messages/{message['id']}/reactions"

    added = [(await call(node_a, "POST", path, alice, {"emoji": face}))[0] for face in FACES]
    toggles = [(await call(node_a, "POST", path, alice, {"emoji": FACES[0]}))[0] for _ in range(10)]

    assert added == [200] * 20 + [409] * 5 and toggles == [200] * 10
    sizes = []
    while len(sizes) < 30:
        raw = await asyncio.wait_for(watcher.connection.recv(), 10)
        if json.loads(raw)["type"] == "reactions":
            sizes.append(len(raw.encode() if isinstance(raw, str) else raw))
    print(f"\nreactions frames: largest {max(sizes)} bytes, the 10 toggles {sum(sizes[20:])} bytes in all")
    assert max(sizes) <= 200  # the whole map of 20 faces alone is over 200 bytes
    status, page = await call(node_b, "GET", f"/api/channels/{channel.pk}/messages", bob)
    assert page["results"][0]["reactions"] == {face: 1 for face in FACES[:20]}  # history keeps the map
    await watcher.close()
