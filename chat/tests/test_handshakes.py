"""Handshakes over real sockets: who a connection belongs to, also when a crowd connects at once.

A node looks up the users of the handshakes and the memberships of the subscribes that arrive
together with one query each (chat/realtime/auth.py, chat/consumers.py); every connection must still
get its own user and only its own channels.
"""

import asyncio

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import Client as HttpClient

from accounts.tests.factories import UserFactory
from channels_app.services import channel_create
from channels_app.tests.factories import channel_with_members
from chat.tests.live import Client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

CROWD_CHANNELS = 4
CROWD_PER_CHANNEL = 15


@sync_to_async
def _crowd():
    """Channels of users; each user a member of their own channel only."""
    return [
        channel_with_members(
            name=f"crowd {number}", usernames=[f"c{number}u{index}" for index in range(CROWD_PER_CHANNEL)]
        )
        for number in range(CROWD_CHANNELS)
    ]


async def _messages(client: Client, count: int) -> list[dict]:
    """The next `count` message frames (acks and the rest skipped)."""
    messages: list[dict] = []
    while len(messages) < count:
        messages += [frame for frame in [await client.recv()] if frame["type"] == "message"]
    return messages


async def test_a_crowd_connecting_at_once_each_gets_its_own_user_and_channels(two_nodes):
    rooms = await _crowd()
    members = [(channel, user) for channel, users in rooms for user in users]
    clients = await asyncio.gather(*(Client.connect(two_nodes[0].ws_url, user) for _, user in members))
    replies = await asyncio.gather(
        *(client.subscribe(channel.pk) for client, (channel, _) in zip(clients, members, strict=True))
    )
    assert all(reply["type"] == "subscribed" for reply in replies)

    # Another room's channel is refused, for every one of them at once.
    refusals = await asyncio.gather(
        *(
            client.subscribe(rooms[(index // CROWD_PER_CHANNEL + 1) % CROWD_CHANNELS][0].pk)
            for index, client in enumerate(clients)
        )
    )
    assert {reply.get("code") for reply in refusals} == {"forbidden"}

    # Everyone speaks once: each message carries its own sender, and reaches exactly its room.
    await asyncio.gather(
        *(
            client.send(type="send", channel=channel.pk, body=f"I am {user.username}", client_msg_id=f"hello-{user.pk}")
            for client, (channel, user) in zip(clients, members, strict=True)
        )
    )
    for client, (channel, user) in zip(clients, members, strict=True):
        messages = await _messages(client, CROWD_PER_CHANNEL)
        assert {message["channel"] for message in messages} == {channel.pk}
        assert all(message["body"] == f"I am {message['sender']['username']}" for message in messages)
        assert all(message["client_msg_id"] == f"hello-{message['sender']['id']}" for message in messages)
        assert f"hello-{user.pk}" in {message["client_msg_id"] for message in messages}
    await asyncio.gather(*(client.close() for client in clients))


async def test_a_deactivated_users_token_no_longer_opens_a_socket(two_nodes):
    user = await sync_to_async(UserFactory)(is_active=False)
    client = await Client.connect(two_nodes[0].ws_url, user)
    with pytest.raises(websockets.ConnectionClosed):
        await client.recv()
    assert client.connection.close_code == 4401


@sync_to_async
def _signed_in_session(user) -> str:
    browser = HttpClient()
    browser.force_login(user)
    return browser.cookies[settings.SESSION_COOKIE_NAME].value


async def test_the_browser_session_cookie_opens_the_socket_and_a_forged_one_does_not(two_nodes):
    user = await sync_to_async(UserFactory)()
    channel = await sync_to_async(channel_create)(owner=user, name="mine")
    session = await _signed_in_session(user)
    url, origin = two_nodes[0].ws_url, "http://127.0.0.1"

    connection = await websockets.connect(url, origin=origin, additional_headers={"Cookie": f"sessionid={session}"})
    browser = Client(connection)
    assert (await browser.subscribe(channel.pk))["type"] == "subscribed"
    await browser.send(type="send", channel=channel.pk, body="from the page", client_msg_id="page-1")
    message = (await browser.recv_until(lambda f: f["type"] == "message"))[-1]
    assert message["sender"] == {"id": user.pk, "username": user.username}
    await browser.close()

    forged = Client(
        await websockets.connect(url, origin=origin, additional_headers={"Cookie": "sessionid=not-a-session"})
    )
    with pytest.raises(websockets.ConnectionClosed):
        await forged.recv()
    assert forged.connection.close_code == 4401
