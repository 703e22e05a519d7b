"""One load process: its share of the clients and of the send rate, with progress for the parent.

The parent talks to each worker over two pipes. Worker -> parent: ("ready",), ("progress", dict)
every PROGRESS_SECONDS, ("connected",), ("sent",), ("result", Recorder). Parent -> worker:
("connect", start time), ("send", start time, duration, rate), ("collect",).
"""

import asyncio
import random
import time
from dataclasses import dataclass

from loadtest.client import Client
from loadtest.limits import raise_open_file_limit
from loadtest.stats import Recorder, percentile

PROGRESS_SECONDS = 0.5
MIN_SEND_SLEEP_SECONDS = 0.002  # batches sends at high rates instead of waking up per message


@dataclass
class ClientSpec:
    index: int
    token: str | None
    url: str
    origin: str
    channels: list[int]


@dataclass
class WorkerSpec:
    worker: int
    clients: list[ClientSpec]
    total_clients: int
    channel_sizes: dict[int, int]  # channel id -> planned members: the deliveries each acked message owes
    ramp_seconds: float
    connect_concurrency: int
    body: str
    reads: bool = False


def main(spec: WorkerSpec, commands, events) -> None:
    """The worker process's entry point."""
    raise_open_file_limit()
    try:
        import uvloop
    except ImportError:
        asyncio.run(Worker(spec, commands, events).run())
    else:
        uvloop.run(Worker(spec, commands, events).run())


class Worker:
    def __init__(self, spec: WorkerSpec, commands, events):
        self.spec, self.commands_pipe, self.pipe = spec, commands, events
        self.recorder = Recorder()
        self.clients = [
            Client(
                index=c.index,
                token=c.token,
                url=c.url,
                origin=c.origin,
                channels=c.channels,
                tag=f"w{spec.worker}c{c.index}",
                body=spec.body,
                recorder=self.recorder,
                reads=spec.reads,
            )
            for c in spec.clients
        ]
        self.commands: asyncio.Queue = asyncio.Queue()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_reader(self.commands_pipe.fileno(), lambda: self.commands.put_nowait(self.commands_pipe.recv()))
        reporter = loop.create_task(self._report_progress())
        self.pipe.send(("ready",))
        _, connect_start = await self.commands.get()
        await self._connect_all(connect_start)
        self.pipe.send(("connected",))
        _, send_start, duration, rate = await self.commands.get()
        await self._send(send_start, duration, rate)
        self.pipe.send(("sent",))
        await self.commands.get()  # collect
        reporter.cancel()
        await asyncio.gather(*(client.close() for client in self.clients), return_exceptions=True)
        loop.remove_reader(self.commands_pipe.fileno())
        self.pipe.send(("result", self.recorder))

    async def _connect_all(self, start: float) -> None:
        """Client k of n opens at start + ramp * k / n, with a bounded number of handshakes in flight."""
        gate = asyncio.Semaphore(self.spec.connect_concurrency)
        spec = self.spec

        async def open_one(client: Client) -> None:
            await asyncio.sleep(max(0.0, start + spec.ramp_seconds * client.index / spec.total_clients - time.time()))
            async with gate:
                await client.open()

        await asyncio.gather(*(open_one(client) for client in self.clients))

    async def _send(self, start: float, duration: float, rate: float) -> None:
        """Sends at `rate` messages/s from start to start + duration, round-robin over the open clients."""
        senders = [client for client in self.clients if client.is_open]
        random.Random(self.spec.worker).shuffle(senders)
        await asyncio.sleep(max(0.0, start - time.time()))
        if rate <= 0 or not senders:
            await asyncio.sleep(max(0.0, start + duration - time.time()))
            return
        total = int(duration * rate)
        count = len(senders)
        sent = 0
        while sent < total:
            due = min(total, int((time.time() - start) * rate) + 1)
            while sent < due:
                client = senders[sent % count]
                if client.is_open:
                    client.send(client.channels[(sent // count) % len(client.channels)])
                sent += 1
            await asyncio.sleep(max(MIN_SEND_SLEEP_SECONDS, start + sent / rate - time.time()))

    async def _report_progress(self) -> None:
        recorder = self.recorder
        last_wall, last_cpu, seen = time.time(), time.process_time(), 0
        while True:
            await asyncio.sleep(PROGRESS_SECONDS)
            wall, cpu = time.time(), time.process_time()
            lag = wall - last_wall - PROGRESS_SECONDS  # how late the loop woke us: the tool's own backlog
            recent = sorted(recorder.delivery[seen:])
            seen = len(recorder.delivery)
            self.pipe.send(
                (
                    "progress",
                    {
                        "worker": self.spec.worker,
                        "at": wall,
                        "open": sum(client.is_open for client in self.clients),
                        "connected": len(recorder.connect),
                        "failed": sum(recorder.connect_failures.values()),
                        "sent": len(recorder.sent_at),
                        "acked": len(recorder.ack),
                        "delivered": seen,
                        "expected": sum(
                            len(seqs) * self.spec.channel_sizes.get(channel, 0)
                            for channel, seqs in recorder.acked.items()
                        ),
                        "errors": sum(recorder.errors.values()),
                        "disconnects": sum(recorder.disconnects.values()),
                        "cpu": (cpu - last_cpu) / (wall - last_wall),
                        "lag_ms": 1000 * max(0.0, lag),
                        "p99_ms": 1000 * percentile(recent, 0.99) if recent else None,
                    },
                )
            )
            last_wall, last_cpu = wall, cpu
