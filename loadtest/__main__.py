"""A small asyncio load run against any deployment of the messenger.

    python -m loadtest --url http://127.0.0.1:8000 --users 200 --channels 20 --rate 100 --duration 20

It signs up users through the REST API, puts them in channels, opens one WebSocket per
user, subscribes, then sends at the given total rate. Every client records every
(channel, seq) it receives, so loss and duplicates are counted exactly; delivery latency
is the time from the sender's send to each receiver's frame (one clock: same machine).
"""

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from collections import defaultdict
from urllib.parse import urlparse

import httpx
import websockets


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Stats:
    def __init__(self):
        self.sent_at: dict[str, float] = {}
        self.acked: dict[tuple[int, int], str] = {}
        self.ack_latency: list[float] = []
        self.delivery_latency: list[float] = []
        self.received: dict[int, dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
        self.errors: dict[str, int] = defaultdict(int)


async def provision(base_url: str, users: int, channels: int, password: str) -> tuple[list[dict], list[int]]:
    run = uuid.uuid4().hex[:8]
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as http:
        semaphore = asyncio.Semaphore(20)

        async def make_user(index: int) -> dict:
            email = f"load-{run}-{index}@example.com"
            async with semaphore:
                await http.post("/api/auth/signup", json={"email": email, "username": f"load{index}", "password": password})
                tokens = (await http.post("/api/auth/token", json={"email": email, "password": password})).json()
            return {"index": index, "access": tokens["access"]}

        people = await asyncio.gather(*(make_user(i) for i in range(users)))
        channel_ids = []
        for c in range(channels):
            owner = people[c % users]
            response = await http.post(
                "/api/channels", json={"name": f"load-{run}-{c}"}, headers={"Authorization": f"Bearer {owner['access']}"}
            )
            channel_ids.append(response.json()["id"])

        async def join(person: dict) -> None:
            person["channel"] = channel_ids[person["index"] % channels]
            async with semaphore:
                await http.post(f"/api/channels/{person['channel']}/join", json={}, headers={"Authorization": f"Bearer {person['access']}"})

        await asyncio.gather(*(join(person) for person in people))
    return people, channel_ids


async def client(ws_url: str, origin: str, person: dict, stats: Stats, ready: asyncio.Event, stop: asyncio.Event):
    headers = {"Authorization": f"Bearer {person['access']}"}
    async with websockets.connect(ws_url, additional_headers=headers, origin=origin, max_size=2**22) as connection:
        person["connection"] = connection
        await connection.send(json.dumps({"type": "subscribe", "channel": person["channel"]}))
        ready.set()
        async for raw in connection:
            now = time.perf_counter()
            frame = json.loads(raw)
            kind = frame["type"]
            if kind == "message":
                key = (frame["channel"], frame["seq"])
                stats.received[person["index"]][key] += 1
                sent = stats.sent_at.get(frame["client_msg_id"])
                if sent is not None:
                    stats.delivery_latency.append(now - sent)
            elif kind == "ack":
                stats.acked[(frame["channel"], frame["seq"])] = frame["client_msg_id"]
                stats.ack_latency.append(now - stats.sent_at[frame["client_msg_id"]])
            elif kind == "error":
                stats.errors[frame["code"]] += 1
            if stop.is_set() and kind != "message":
                break


async def run(args) -> dict:
    parsed = urlparse(args.url)
    ws_url = f"{'wss' if parsed.scheme == 'https' else 'ws'}://{parsed.netloc}/ws/"
    people, channel_ids = await provision(args.url, args.users, args.channels, args.password)
    stats = Stats()
    stop = asyncio.Event()
    tasks, connect_times = [], []
    for person in people:
        ready = asyncio.Event()
        started = time.perf_counter()
        tasks.append(asyncio.create_task(client(ws_url, args.url, person, stats, ready, stop)))
        await ready.wait()
        connect_times.append(time.perf_counter() - started)
    await asyncio.sleep(1)

    interval = 1 / args.rate
    deadline = time.perf_counter() + args.duration
    sent = 0
    next_at = time.perf_counter()
    while time.perf_counter() < deadline:
        person = random.choice(people)
        client_msg_id = uuid.uuid4().hex
        stats.sent_at[client_msg_id] = time.perf_counter()
        await person["connection"].send(
            json.dumps({"type": "send", "channel": person["channel"], "body": "load", "client_msg_id": client_msg_id})
        )
        sent += 1
        next_at += interval
        await asyncio.sleep(max(0, next_at - time.perf_counter()))
    await asyncio.sleep(args.drain)

    members = defaultdict(list)
    for person in people:
        members[person["channel"]].append(person["index"])
    expected = lost = duplicates = 0
    for key in stats.acked:
        for index in members[key[0]]:
            expected += 1
            count = stats.received[index].get(key, 0)
            lost += count == 0
            duplicates += max(0, count - 1)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "connections": len(people),
        "channels": len(channel_ids),
        "sent": sent,
        "acked": len(stats.acked),
        "send_rate": sent / args.duration,
        "deliveries_expected": expected,
        "lost": lost,
        "duplicates": duplicates,
        "errors": dict(stats.errors),
        "connect_p50_ms": 1000 * statistics.median(connect_times),
        "ack_p50_ms": 1000 * percentile(stats.ack_latency, 0.5),
        "ack_p99_ms": 1000 * percentile(stats.ack_latency, 0.99),
        "delivery_p50_ms": 1000 * percentile(stats.delivery_latency, 0.5),
        "delivery_p99_ms": 1000 * percentile(stats.delivery_latency, 0.99),
        "delivery_max_ms": 1000 * max(stats.delivery_latency, default=float("nan")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--rate", type=float, default=100, help="messages per second, all senders together")
    parser.add_argument("--duration", type=float, default=20, help="seconds of sending")
    parser.add_argument("--drain", type=float, default=3, help="seconds to wait for the last deliveries")
    parser.add_argument("--password", default="load-test-password-1")
    parser.add_argument("--json", help="also write the summary to this file")
    args = parser.parse_args()
    summary = asyncio.run(run(args))
    for key, value in summary.items():
        print(f"{key:22} {value:.1f}" if isinstance(value, float) else f"{key:22} {value}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(summary, handle, indent=2)


if __name__ == "__main__":
    main()
