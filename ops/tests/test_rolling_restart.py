"""The issue's "done when": a rolling restart of two nodes behind the balancer loses no one.

Two web nodes (chat.realtime.server) and a Celery worker share PostgreSQL and Redis; nginx runs
docker/nginx.conf in front of them. Twelve clients in three rooms talk through the balancer
the whole time, while each node in turn is drained (SIGTERM) and started again on its port.
"""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from accounts.tests.factories import UserFactory
from channels_app.services import channel_join
from channels_app.tests.factories import channel_with_members
from chat.tests.live import CeleryWorker, Client, WebNode
from chat.tests.resuming import ResumingClient
from ops.tests.balancer import Balancer
from ops.tests.scrape import readyz, value, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio, pytest.mark.slow]

ROOMS, MEMBERS = 3, 4
SEND_INTERVAL_SECONDS = 0.3


@sync_to_async
def _rooms():
    rooms = []
    for r in range(ROOMS):
        channel, users = channel_with_members(name=f"room {r}", usernames=[f"r{r}m{m}" for m in range(MEMBERS)])
        rooms.append((channel.pk, users))
    observer = UserFactory(username="observer")
    channel_join(user=observer, channel=channel)
    return rooms, observer


async def _equals(awaitable, expected) -> bool:
    return (await awaitable) == expected


async def _talk(clients, stop: asyncio.Event) -> None:
    while not stop.is_set():
        for client in clients:
            await client.send_next()
        await asyncio.sleep(SEND_INTERVAL_SECONDS)


async def _drain_and_restart(node: WebNode, other: WebNode, observer_user, observed_channel, clients):
    """Drains node while an observer holds a socket on it, checks what the metrics show, restarts it."""
    started_before = value(f"{node.http_url}/metrics", "process_start_time_seconds")
    observer = await Client.connect(node.ws_url, observer_user)
    await observer.subscribe(observed_channel)
    await asyncio.sleep(1.5)  # traffic on both nodes

    node.drain()
    reconnect = (await observer.recv_until(lambda f: f["type"] == "reconnect", timeout=30))[-1]
    assert reconnect["reason"] == "server_draining" and 200 <= reconnect["retry_after_ms"] <= 1700
    # The observer ignores the frame, so the node stays in the draining state while we look at it.
    status, body = readyz(node.http_url)
    assert (status, body["checks"]["draining"]) == (503, True)
    await wait_until(lambda: value(f"{node.http_url}/metrics", "chat_connections_open") == 1, what="clients leaving")
    await wait_until(
        lambda: value(f"{other.http_url}/metrics", "chat_connections_open") == len(clients),
        what="clients on the other node",
    )
    assert value(f"{node.http_url}/metrics", "server_draining") == 1
    assert value(f"{other.http_url}/metrics", "server_draining") == 0
    await observer.close()
    assert await sync_to_async(node.wait_exit)() == 0

    restarted = await sync_to_async(node.restarted)()
    assert readyz(restarted.http_url)[0] == 200
    assert value(f"{restarted.http_url}/metrics", "process_start_time_seconds") > started_before
    return restarted


async def test_rolling_restart_keeps_every_client_and_every_acknowledged_message(server_environment):
    rooms, observer_user = await _rooms()
    node_a = await sync_to_async(WebNode)(server_environment, "roll-a")
    node_b = await sync_to_async(WebNode)(server_environment, "roll-b")
    worker = await sync_to_async(CeleryWorker)(server_environment, "roll-celery")
    balancer = await sync_to_async(Balancer)(server_environment, [node_a.port, node_b.port], "roll-nginx")
    processes = [node_a, node_b, worker, balancer]
    clients = [
        ResumingClient(balancer.ws_url, user, channel_id, name=user.username)
        for channel_id, users in rooms
        for user in users
    ]
    tasks = [asyncio.create_task(client.run()) for client in clients]
    stop_talking = asyncio.Event()
    try:
        await asyncio.wait_for(asyncio.gather(*(client.ready.wait() for client in clients)), 30)
        on_a = value(f"{node_a.http_url}/metrics", "chat_connections_open")
        assert 0 < on_a < len(clients)  # the balancer spread them over both nodes
        talker = asyncio.create_task(_talk(clients, stop_talking))

        node_a = processes[0] = await _drain_and_restart(node_a, node_b, observer_user, rooms[-1][0], clients)
        node_b = processes[1] = await _drain_and_restart(node_b, node_a, observer_user, rooms[-1][0], clients)
        await asyncio.sleep(1.5)  # traffic after the restart
        stop_talking.set()
        await talker
        await wait_until(lambda: all(not c.unacked for c in clients), what="every message acknowledged")
        for channel_id, _ in rooms:
            members = [c for c in clients if c.channel_id == channel_id]
            last_seq = max(ack["seq"] for c in members for ack in c.acks.values())
            await wait_until(lambda members=members, last_seq=last_seq: all(c.last_seq == last_seq for c in members))
        stored = {channel_id: await _stored_ids(channel_id, len(_acks(clients, channel_id))) for channel_id, _ in rooms}
    finally:
        stop_talking.set()
        for client in clients:
            await client.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        for process in processes:
            await sync_to_async(process.stop)()

    for channel_id, _ in rooms:
        members = [c for c in clients if c.channel_id == channel_id]
        acks = _acks(clients, channel_id)
        everything = list(range(1, len(acks) + 1))
        assert sorted(acks) == everything  # one seq per acknowledged message, no gaps
        for client in members:
            assert client.seqs_received == everything  # each message once, in order, across reconnects
            assert client.ids_by_seq == acks
            assert client.connections >= 2 and client.reconnect_frames
            assert {f["reason"] for f in client.reconnect_frames} == {"server_draining"}
        assert stored[channel_id] == [acks[seq] for seq in everything]  # the worker persisted each exactly once


def _acks(clients, channel_id: int) -> dict[int, str]:
    """seq -> message id of every acknowledged message in the room."""
    return {ack["seq"]: ack["id"] for c in clients if c.channel_id == channel_id for ack in c.acks.values()}


async def _stored_ids(channel_id: int, count: int) -> list[str]:
    from chat.stores import get_message_store

    store = get_message_store()
    persisted = sync_to_async(store.max_seq)
    await wait_until(lambda: _equals(persisted(channel_id=channel_id), count), what="the worker persisting")
    return [m["id"] for m in await sync_to_async(store.range)(channel_id=channel_id, limit=10_000)]
