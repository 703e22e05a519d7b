"""One load process: its share of the clients and of the send rate, with progress for the parent.

The parent talks to each worker over two pipes. Worker -> parent: ("ready",), ("progress", dict)
every PROGRESS_SECONDS, ("connected",), ("sent",), ("result", Recorder). Parent -> worker:
("connect", start time), ("send", start time, duration, rate), ("collect",).
"""

import asyncio
import random
import time
from collections import deque
from dataclasses import dataclass

import httpx

from loadtest.client import Client
from loadtest.limits import raise_open_file_limit
from loadtest.stats import Recorder, percentile

PROGRESS_SECONDS = 0.5
MIN_SEND_SLEEP_SECONDS = 0.002  # batches sends at high rates instead of waking up per message
REST_TIMEOUT_SECONDS = 30
RECENT_SENDERS = 100
REACTION = "\N{THUMBS UP SIGN}"


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
    # Beside each message, on average: typing frames its sender sends first, edits of the sender's
    # latest message and reactions to the latest message the sender received (REST, as the browser).
    typing_per_message: float = 0.0
    edits_per_message: float = 0.0
    reactions_per_message: float = 0.0


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
        self.rest_calls: set[asyncio.Task] = set()
        self.owed = {"typing": 0.0, "edit": 0.0, "reaction": 0.0}  # fractions of an action not yet taken
        self.recent: deque[Client] = deque(maxlen=RECENT_SENDERS)  # who sent lately: one of them edits

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
        self.recorder.frames.clear()  # counted from here: what the sending brings, not the subscribing
        if rate <= 0 or not senders:
            await asyncio.sleep(max(0.0, start + duration - time.time()))
            return
        total = int(duration * rate)
        count = len(senders)
        sent = 0
        async with httpx.AsyncClient(timeout=REST_TIMEOUT_SECONDS) as http:
            while sent < total:
                due = min(total, int((time.time() - start) * rate) + 1)
                while sent < due:
                    client = senders[sent % count]
                    if client.is_open:
                        self._act(client, client.channels[(sent // count) % len(client.channels)], http)
                        self.recent.append(client)
                    sent += 1
                await asyncio.sleep(max(MIN_SEND_SLEEP_SECONDS, start + sent / rate - time.time()))
            if self.rest_calls:
                await asyncio.wait(self.rest_calls)

    def _act(self, client: Client, channel: int, http: httpx.AsyncClient) -> None:
        """One message with what comes with it at the spec's ratios: typing first, then the send, and
        now and then an edit of a recent message by its sender (senders rarely send twice in a run)
        or a reaction by this sender to the last message it got."""
        spec, owed = self.spec, self.owed
        owed["typing"] += spec.typing_per_message
        while owed["typing"] >= 1:
            owed["typing"] -= 1
            client.typing(channel)
        client.send(channel)
        owed["edit"] += spec.edits_per_message
        editor = next((sender for sender in reversed(self.recent) if sender.last_acked), None)
        if owed["edit"] >= 1 and editor is not None:
            owed["edit"] -= 1
            channel_id, message_id = editor.last_acked
            self._rest(editor, http, "edit", "PATCH", f"{channel_id}/messages/{message_id}", {"body": "edited"})
        owed["reaction"] += spec.reactions_per_message
        if owed["reaction"] >= 1 and client.last_received:
            owed["reaction"] -= 1
            channel_id, message_id = client.last_received
            self._rest(
                client, http, "reaction", "POST", f"{channel_id}/messages/{message_id}/reactions", {"emoji": REACTION}
            )

    def _rest(self, client: Client, http: httpx.AsyncClient, action: str, method: str, path: str, body: dict) -> None:
        base = client.url.replace("ws://", "http://", 1).replace("wss://", "https://", 1).removesuffix("/ws/")
        recorder = self.recorder

        async def call() -> None:
            try:
                response = await http.request(
                    method,
                    f"{base}/api/channels/{path}",
                    json=body,
                    headers={"Authorization": f"Bearer {client.token}"},
                )
            except httpx.HTTPError as error:
                recorder.errors[f"{action}: {type(error).__name__}"] += 1
                return
            if response.status_code >= 400:
                recorder.errors[f"{action}: HTTP {response.status_code}"] += 1
            else:
                recorder.actions[action] += 1

        task = asyncio.get_running_loop().create_task(call())
        self.rest_calls.add(task)
        task.add_done_callback(self.rest_calls.discard)

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
