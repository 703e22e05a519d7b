"""Per-user events through a node's hub, on one Redis and on a Redis Cluster: `python -m bench.user_feeds`.

A user's feed is a topic with the user as hash tag; in a cluster it lives on one shard and the
hub hears it on that shard's sharded pub/sub connection. This starts a private Redis and a
private three-primary cluster (the bench's own helpers), attaches --users feeds to a hub in this
process, publishes --events events at --rate a second across them, and prints how many arrived
and their latency from publish to the feed, for each.
"""

import argparse
import asyncio
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from bench.stack import cluster_nodes, create_cluster, private_redis


class Feed:
    """A connection of one user: it keeps how long each event took to reach it."""

    def __init__(self, user_id: int, latencies: list[float]):
        self.user_id, self.latencies = user_id, latencies

    def deliver_event(self, frame) -> None:
        self.latencies.append(time.time() - json.loads(frame.message["text"])["sent"])


async def _nothing(*args, **kwargs) -> dict:
    return {}


async def _zeros(ids) -> dict:
    return dict.fromkeys(ids, 0)


async def _no_members(*args, **kwargs) -> set:
    return set()


async def measure(redis_url: str, *, users: int, events: int, rate: float) -> list[float]:
    from chat.realtime.hub import Hub
    from chat.realtime.payloads import ephemeral_payload
    from chat.realtime.redis_broker import RedisBroker

    latencies: list[float] = []
    hub = Hub(
        broker=RedisBroker(redis_url, sharded=False),
        messages=_nothing,
        changes=_nothing,
        channel_events=_nothing,
        user_events=_nothing,
        last_seqs=_nothing,
        last_versions=_nothing,
        last_channel_events=_nothing,
        last_user_events=_zeros,
        members=_no_members,
    )
    for user_id in range(1, users + 1):
        hub.attach(Feed(user_id, latencies))
    await asyncio.sleep(3)  # every feed subscribed
    started = time.monotonic()
    for i in range(events):
        await hub.publish_to_user(1 + i % users, ephemeral_payload(0, json.dumps({"sent": time.time()})))
        await asyncio.sleep(max(0.0, started + (i + 1) / rate - time.monotonic()))
    await asyncio.sleep(2)
    return sorted(latencies)


def _say(mode: str, latencies: list[float], args) -> None:
    p50, p99 = (latencies[int(len(latencies) * q) - 1] * 1000 for q in (0.5, 0.99)) if latencies else (0, 0)
    print(f"{mode}: {len(latencies)}/{args.events} events to {args.users} feeds at {args.rate:.0f}/s, "
          f"p50 {p50:.2f} ms, p99 {p99:.2f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--port", type=int, default=9850, help="the Redis; the cluster's nodes from port + 10")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{args.port}/0"
    import django
    from django.test import override_settings

    django.setup()
    # Presence announcements read channel memberships from the database, which this leaves out.
    logging.getLogger("chat.realtime.presence").setLevel(logging.ERROR)
    var = Path(tempfile.mkdtemp(prefix="user-feeds-"))
    single = private_redis(port=args.port, appendfsync="always", var=var).start()
    nodes = cluster_nodes(port=args.port + 10, appendfsync="always", var=var)
    try:
        time.sleep(0.5)
        _say("one Redis", asyncio.run(measure(os.environ["REDIS_URL"], **_shape(args))), args)
        for node in nodes:
            node.start()
        time.sleep(0.5)
        create_cluster(nodes)
        with override_settings(REDIS_CLUSTER_NODES=[f"127.0.0.1:{node.port}" for node in nodes]):
            _say("Redis Cluster", asyncio.run(measure(os.environ["REDIS_URL"], **_shape(args))), args)
    finally:
        for service in [single, *nodes]:
            if service.popen is not None:
                service.stop()


def _shape(args) -> dict:
    return {"users": args.users, "events": args.events, "rate": args.rate}


if __name__ == "__main__":
    main()
