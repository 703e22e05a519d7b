"""The delivery guarantee under faults: steady chat over two nodes while one part of it dies.

A private Redis with the production persistence settings (append-only file, fsync on every
write) carries the chat and the Celery broker; two web nodes and a worker run on it. Eight
clients in two rooms, half on each node, send steadily while one fault happens: the worker
killed (-9) and started again, a node killed (-9) and started again (its clients move to the
other node), Redis killed (-9) and started again on its files, or the nodes' room subscription
connections cut (CLIENT KILL TYPE pubsub). Afterwards every acknowledged message is in history
once with no gap, and every member got each one once, in order. The figures of each run go to
var/test-artifacts/faults.json.

Each fault runs on one Redis and again on a Redis Cluster (three primaries with a replica each;
the broker then has its own Redis). There the Redis fault is a failover: the primary serving the
rooms is killed (-9), its replica takes over, and the killed one comes back as the new replica.
"""

import asyncio
import itertools
import json
import signal

import pytest
import redis
from asgiref.sync import sync_to_async

from channels_app.tests.factories import channel_with_members
from chat.persistence import persist_backlog
from chat.realtime import keys
from chat.tests.live import ROOT, CeleryWorker, RedisClusterServers, RedisServer, WebNode
from chat.tests.resuming import ResumingClient
from conftest import EMBEDDED
from ops.tests.scrape import value, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
    pytest.mark.slow,
    pytest.mark.redis_modes,
    pytest.mark.skipif(EMBEDDED, reason="the faults are of Redis, nodes and workers: production mode"),
]

ROOMS, MEMBERS = 2, 4
SEND_INTERVAL_SECONDS = 0.2
FIGURES = ROOT / "var" / "test-artifacts" / "faults.json"


class Stack:
    """The processes of the run; a fault replaces the ones it kills."""

    def __init__(self, env: dict, data_dir, redis_mode: str):
        self.redis = RedisServer("faults-redis", data_dir / "single")
        self.cluster = RedisClusterServers("faults-cluster", data_dir / "cluster") if redis_mode == "cluster" else None
        self.env = {
            **env,
            "REDIS_URL": self.redis.url,
            "CELERY_BROKER_URL": self.redis.url,
            "CHAT_REDIS_DURABILITY": "fsync",
            "CHAT_PERSIST_RECLAIM_IDLE_MS": "2000",
        }
        if self.cluster is not None:
            self.env["REDIS_CLUSTER_NODES"] = self.cluster.nodes
        self.nodes = [WebNode(self.env, "faults-a"), WebNode(self.env, "faults-b")]
        self.worker = CeleryWorker(self.env, "faults-celery")

    def chat_redis(self):
        """A client of where the chat's messages wait for the worker."""
        if self.cluster is None:
            return redis.Redis.from_url(self.redis.url)
        return self.cluster.client_of_cluster()

    def stop(self) -> None:
        for process in [*self.nodes, self.worker, self.redis, *(self.cluster.servers if self.cluster else [])]:
            process.stop()


@pytest.fixture(scope="module")
def stack(server_environment, redis_mode, tmp_path_factory):
    stack = Stack(server_environment, tmp_path_factory.mktemp("faults-redis"), redis_mode)
    yield stack
    stack.stop()


async def _kill_worker(stack: Stack, rooms) -> None:
    stack.worker.kill()
    await asyncio.sleep(2)
    stack.worker = await sync_to_async(CeleryWorker)(stack.env, "faults-celery")


async def _kill_node(stack: Stack, rooms) -> None:
    stack.nodes[1].kill(signal.SIGKILL)
    await asyncio.sleep(2)
    stack.nodes[1] = await sync_to_async(stack.nodes[1].restarted)()


async def _kill_redis(stack: Stack, rooms) -> None:
    if stack.cluster is not None:
        await _fail_over(stack.cluster, rooms)
        return
    stack.redis.kill(signal.SIGKILL)
    await asyncio.sleep(2)
    stack.redis = await sync_to_async(stack.redis.restarted)()


async def _fail_over(cluster: RedisClusterServers, rooms) -> None:
    """The primary serving the first room dies; once its replica took over, it comes back as the
    new replica (until then that shard acknowledges nothing: no replica has its writes)."""
    primary = await sync_to_async(cluster.primary_of)(keys.seq_key(rooms[0][0]))
    primary.kill(signal.SIGKILL)
    await wait_until(
        lambda: cluster.primary_of(keys.seq_key(rooms[0][0])) not in (None, primary),
        timeout=30,
        what="the replica promoted",
    )
    cluster.replace(primary, await sync_to_async(primary.restarted)())
    await sync_to_async(cluster.wait_healthy)()


async def _cut_subscriptions(stack: Stack, rooms) -> None:
    servers = [stack.redis] if stack.cluster is None else stack.cluster.servers
    killed = sum(redis.Redis(port=server.port).client_kill_filter(_type="pubsub") for server in servers)
    assert killed >= len(stack.nodes)  # each node's room subscription connection (per shard in a cluster)


FAULTS = {"worker": _kill_worker, "node": _kill_node, "redis": _kill_redis, "pubsub": _cut_subscriptions}


@sync_to_async
def _rooms(fault: str):
    rooms = []
    for r in range(ROOMS):
        channel, users = channel_with_members(
            name=f"{fault} {r}", usernames=[f"{fault}{r}m{m}" for m in range(MEMBERS)]
        )
        rooms.append((channel.pk, users))
    return rooms


async def _talk(clients, stop: asyncio.Event) -> None:
    while not stop.is_set():
        for client in clients:
            await client.send_next()
        await asyncio.sleep(SEND_INTERVAL_SECONDS)


@pytest.mark.parametrize("fault", FAULTS)
async def test_no_acknowledged_message_is_lost_when(stack, fault, redis_mode):
    rooms = await _rooms(fault)
    urls = [node.ws_url for node in stack.nodes]
    clients = [
        # Half start on each node; each moves to the other one when its node dies.
        ResumingClient(urls[i % 2 :] + urls[: i % 2], user, channel_id, name=user.username)
        for channel_id, users in rooms
        for i, user in enumerate(users)
    ]
    tasks = [asyncio.create_task(client.run()) for client in clients]
    stop_talking = asyncio.Event()
    try:
        await asyncio.wait_for(asyncio.gather(*(client.ready.wait() for client in clients)), 30)
        talker = asyncio.create_task(_talk(clients, stop_talking))
        await asyncio.sleep(2)
        await FAULTS[fault](stack, rooms)
        await asyncio.sleep(4)  # traffic after the fault
        stop_talking.set()
        await talker

        async def all_acknowledged():
            for client in clients:
                await client.resend_unacked()
            return all(not client.unacked for client in clients)

        await wait_until(all_acknowledged, timeout=60, what="every message acknowledged")
        for channel_id, _ in rooms:
            members = [c for c in clients if c.channel_id == channel_id]
            last_seq = max(ack["seq"] for c in members for ack in c.acks.values())
            await wait_until(
                lambda members=members, last_seq=last_seq: all(c.last_seq == last_seq for c in members),
                timeout=60,
                what="every member reaching the last message",
            )
        stored = {channel_id: await _stored(stack, channel_id) for channel_id, _ in rooms}
        worker_alive = stack.worker.popen.poll() is None
        hub_reconnects = sum(value(f"{node.http_url}/metrics", "chat_hub_reconnects_total") for node in stack.nodes)
    finally:
        stop_talking.set()
        for client in clients:
            await client.stop()
        await asyncio.gather(*tasks, return_exceptions=True)

    figures = {"redis": redis_mode, **_figures(fault, rooms, clients, stored)}
    _keep(figures)
    assert figures["acknowledged"] > 100
    assert (figures["lost"], figures["duplicated"], figures["missed_by_members"]) == (0, 0, 0)
    # A failover moves the counters of the failed shard's channels up to their reserved ceilings
    # (a seq the old primary published before it died is never given again): the numbers up to
    # the ceiling are skipped, in one run per room, once. Any other fault leaves no gap at all.
    if (redis_mode, fault) == ("cluster", "redis"):
        assert figures["skipped_runs"] <= ROOMS
    else:
        assert figures["gaps"] == 0
    assert figures["out_of_order"] == 0 and figures["stored_twice"] == 0
    assert not [r for c in clients for r in c.refusals]  # nothing refused but `unavailable` (retried)
    assert worker_alive
    if fault in ("redis", "pubsub"):
        assert hub_reconnects >= 2  # both nodes noticed and came back


async def _stored(stack: Stack, channel_id: int) -> list[dict]:
    """The channel's stored messages, once the worker has drained the persistence stream."""
    from chat.stores import get_message_store

    chat_redis = stack.chat_redis()
    await wait_until(lambda: persist_backlog(chat_redis) == 0, timeout=60, what="the worker storing")
    return await sync_to_async(get_message_store().range)(channel_id=channel_id, limit=100_000)


def _figures(fault: str, rooms, clients, stored: dict[int, list[dict]]) -> dict:
    acknowledged = lost = duplicated = gaps = skipped_runs = missed = out_of_order = stored_twice = 0
    for channel_id, _ in rooms:
        members = [c for c in clients if c.channel_id == channel_id]
        acks = {ack["seq"]: ack["id"] for c in members for ack in c.acks.values()}
        acknowledged += len(acks)
        history = {message["seq"]: message["id"] for message in stored[channel_id]}
        stored_twice += len(stored[channel_id]) - len(history)
        lost += sum(1 for seq, message_id in acks.items() if history.get(seq) != message_id)
        missing = sorted(set(range(1, max(history, default=0) + 1)) - set(history))
        gaps += len(missing)
        skipped_runs += sum(1 for i, seq in enumerate(missing) if i == 0 or missing[i - 1] != seq - 1)
        for client in members:
            duplicated += len(client.seqs_received) - len(set(client.seqs_received))
            out_of_order += sum(1 for a, b in itertools.pairwise(client.seqs_received) if b <= a)
            missed += len(set(acks) - set(client.seqs_received))
    return {
        "fault": fault,
        "acknowledged": acknowledged,
        "lost": lost,
        "duplicated": duplicated,
        "gaps": gaps,
        "skipped_runs": skipped_runs,
        "missed_by_members": missed,
        "out_of_order": out_of_order,
        "stored_twice": stored_twice,
        "reconnects": sum(c.connections - 1 for c in clients),
        "resyncs": sum(c.resyncs for c in clients),
    }


def _keep(figures: dict) -> None:
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    kept = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    kept[f"{figures['redis']} {figures['fault']}"] = figures
    FIGURES.write_text(json.dumps(kept, indent=2))
