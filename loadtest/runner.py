"""The parent process of a run: starts the workers, walks them through the phases, adds it all up.

Phases: every worker opens its clients along the ramp; once all are open (or failed),
every worker sends its share of the rate for the duration; then the tool waits `drain`
seconds for the last deliveries, collects each worker's samples, checks history and
computes the summary.
"""

import multiprocessing
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from urllib.parse import urlparse

import httpx

from loadtest import machine
from loadtest.history import StoreWatcher, history_missing
from loadtest.limits import raise_open_file_limit
from loadtest.progress import Progress
from loadtest.provisioning import Plan
from loadtest.stats import Recorder, delivery_check, latency_row, time_series
from loadtest.worker import ClientSpec, WorkerSpec
from loadtest.worker import main as worker_main

SEND_START_DELAY_SECONDS = 0.5
SATURATED_CPU_SHARE = 0.9  # of one core, averaged over the sending window
STORE_WATCH_SECONDS = 120


@dataclass
class RunConfig:
    urls: list[str]
    rate: float
    duration: float
    ramp: float = 5.0
    drain: float = 10.0
    processes: int = 1
    connect_concurrency: int = 200
    body_bytes: int = 64
    reads: bool = False  # every client marks what it received as read (at most once a second a channel)
    typing_per_message: float = 0.0  # typing frames, edits and reactions beside the messages (worker.WorkerSpec)
    edits_per_message: float = 0.0
    reactions_per_message: float = 0.0
    origin: str | None = None
    history_channels: int = 100  # 0: skip the history check
    label: str = ""
    shape: dict = field(default_factory=dict)


def ws_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme in ("ws", "wss"):
        return url
    scheme = "wss" if parsed.scheme == "https" else "ws"
    return f"{scheme}://{parsed.netloc}/ws/"


def http_url(url: str) -> str:
    parsed = urlparse(url)
    scheme = {"ws": "http", "wss": "https"}.get(parsed.scheme, parsed.scheme)
    return f"{scheme}://{parsed.netloc}"


@dataclass
class WorkerPipe:
    commands: object  # parent -> worker
    events: object  # worker -> parent

    def send(self, message: tuple) -> None:
        self.commands.send(message)


class Runner:
    def __init__(self, config: RunConfig, plan: Plan, progress: Progress | None = None):
        self.config, self.plan = config, plan
        self.progress = progress or Progress()
        self.subscriptions = plan.subscriptions()
        self.latest: dict[int, dict] = {}  # worker -> its last progress report
        self.samples: list[dict] = []  # every progress report, for the plot and the CPU verdict
        self.window: list[tuple[float, dict]] = []  # (time, totals) for the live per-second rates
        self.events: dict[int, list] = {}
        self.processes: dict[int, multiprocessing.Process] = {}  # id(pipe) -> its worker
        self.finished: set[int] = set()  # id(pipe) of workers that sent their result and exited

    def run(self) -> dict:
        raise_open_file_limit()
        config = self.config
        started_at = time.time()
        pipes, processes = self._start_workers()
        self._await_all("ready", pipes, phase="start", total=1)
        connect_start = time.time() + 0.2
        for pipe in pipes:
            pipe.send(("connect", connect_start))
        self._await_all("connected", pipes, phase="connect", total=config.ramp, since=connect_start)
        connected_at = time.time()
        send_start = connected_at + SEND_START_DELAY_SECONDS
        cpu_before = machine.cpu_times()
        for pipe in pipes:
            pipe.send(("send", send_start, config.duration, config.rate / len(pipes)))
        self._await_all("sent", pipes, phase="send", total=config.duration, since=send_start)
        send_end = max(time.time(), send_start + config.duration)
        busy = machine.busy_share(cpu_before, machine.cpu_times())
        watcher = StoreWatcher(f"{http_url(config.urls[0])}/metrics", since=send_end, timeout=STORE_WATCH_SECONDS)
        self._pump(lambda: self._drained(send_end), pipes, phase="drain", total=config.drain, since=send_end)
        open_at_end = sum(report["open"] for report in self.latest.values())
        for pipe in pipes:
            pipe.send(("collect",))
        recorder = Recorder()
        for result in self._await_all("result", pipes, phase="collect", total=1):
            recorder.merge(result[1])
        for process in processes:
            process.join()
        self.progress.done()
        history = self._check_history(recorder, watcher)
        return self._summary(
            recorder,
            started_at=started_at,
            connected_at=connected_at,
            send_start=send_start,
            send_end=send_end,
            open_at_end=open_at_end,
            machine_busy=busy,
            history=history,
        )

    # --- workers

    def _start_workers(self):
        config = self.config
        urls = [ws_url(url) for url in config.urls]
        origins = [config.origin or http_url(url) for url in config.urls]
        count = max(1, min(config.processes, len(self.plan.users)))
        channel_sizes = Counter(channel for channels in self.subscriptions.values() for channel in channels)
        shares: list[list[ClientSpec]] = [[] for _ in range(count)]
        for index, user in enumerate(self.plan.users):
            node = index % len(urls)
            shares[index % count].append(
                ClientSpec(
                    index=index,
                    token=user.get("access"),
                    url=urls[node],
                    origin=origins[node],
                    channels=self.subscriptions[index],
                )
            )
        body = ("load test message " * (config.body_bytes // 18 + 1))[: config.body_bytes]
        context = multiprocessing.get_context("spawn")
        pipes, processes = [], []
        for worker, clients in enumerate(shares):
            # One pipe each way: the worker's loop reads commands without blocking, while its
            # reports (the last one tens of MB) are written blocking.
            commands_in, commands_out = context.Pipe(duplex=False)
            events_in, events_out = context.Pipe(duplex=False)
            spec = WorkerSpec(
                worker=worker,
                clients=clients,
                total_clients=len(self.plan.users),
                channel_sizes=channel_sizes,
                ramp_seconds=config.ramp,
                connect_concurrency=config.connect_concurrency,
                body=body,
                reads=config.reads,
                typing_per_message=config.typing_per_message,
                edits_per_message=config.edits_per_message,
                reactions_per_message=config.reactions_per_message,
            )
            process = context.Process(target=worker_main, args=(spec, commands_in, events_out), daemon=True)
            process.start()
            commands_in.close()
            events_out.close()
            pipes.append(WorkerPipe(commands_out, events_in))
            processes.append(process)
            self.processes[id(pipes[-1])] = process
        return pipes, processes

    def _await_all(self, event: str, pipes, *, phase: str, total: float, since: float | None = None) -> list:
        self._pump(lambda: all(self._has(pipe, event) for pipe in pipes), pipes, phase=phase, total=total, since=since)
        return [self._take(pipe, event) for pipe in pipes]

    def _has(self, pipe, event: str) -> bool:
        return any(message[0] == event for message in self.events.get(id(pipe), []))

    def _take(self, pipe, event: str):
        queue = self.events[id(pipe)]
        message = next(message for message in queue if message[0] == event)
        queue.remove(message)
        return message

    def _pump(self, done, pipes, *, phase: str, total: float, since: float | None = None) -> None:
        since = since or time.time()
        while not done():
            # A worker that has sent its result exits; its pipe then reads as closed.
            listening = [pipe for pipe in pipes if id(pipe) not in self.finished]
            if not listening:
                raise RuntimeError(f"every load worker has exited, but the {phase} phase is not done")
            ready = wait([pipe.events for pipe in listening], timeout=0.1)
            for pipe in (pipe for pipe in listening if pipe.events in ready):
                try:
                    message = pipe.events.recv()
                except EOFError as error:
                    self._worker_exited(pipe, error)
                    continue
                if message[0] == "progress":
                    self._progress(message[1])
                else:
                    self.events.setdefault(id(pipe), []).append(message)
            self._show(phase, max(0.0, time.time() - since), total)

    def _worker_exited(self, pipe: WorkerPipe, error: EOFError) -> None:
        process = self.processes[id(pipe)]
        process.join(5)
        if process.exitcode != 0 or not self._has(pipe, "result"):  # a negative exit code is the killing signal
            raise RuntimeError(
                f"load worker {process.name} died (exit code {process.exitcode}); any traceback is above"
            ) from error
        self.finished.add(id(pipe))

    def _drained(self, send_end: float) -> bool:
        """After --drain seconds at most, or sooner once every send is acked and every delivery is in.

        Each worker counts the deliveries its acked messages owe (channel members) against
        what its clients received; a pause of the server never ends the wait early.
        """
        if time.time() >= send_end + self.config.drain:
            return True
        totals = self._totals()
        return totals["acked"] >= totals["sent"] and totals["delivered"] >= totals["expected"]

    def _progress(self, report: dict) -> None:
        self.latest[report["worker"]] = report
        self.samples.append(report)

    def _totals(self) -> dict:
        reports = list(self.latest.values())
        keys = ("open", "connected", "failed", "sent", "acked", "delivered", "expected", "errors", "disconnects")
        totals = {key: sum(report[key] for report in reports) for key in keys}
        totals["cpu_max"] = max((report["cpu"] for report in reports), default=0.0)
        totals["planned"] = len(self.plan.users)
        p99s = [report["p99_ms"] for report in reports if report["p99_ms"] is not None]
        totals["p99_ms"] = max(p99s) if p99s else None
        return totals

    def _show(self, phase: str, done: float, total: float) -> None:
        now = time.time()
        totals = self._totals()
        self.window.append((now, totals))
        while len(self.window) > 2 and now - self.window[0][0] > 2.0:
            self.window.pop(0)
        first_at, first = self.window[0]
        span = max(1e-6, now - first_at)
        rates = {
            key: (totals[key] - first[key]) / span if span > 0.5 else 0.0 for key in ("sent", "acked", "delivered")
        }
        rates["p99_ms"] = totals["p99_ms"]
        self.progress.show(phase=phase, done=done, total=total, totals=totals, rate_window=rates)

    # --- after the run

    def _check_history(self, recorder: Recorder, watcher: StoreWatcher) -> dict:
        config = self.config
        result = {"checked_channels": 0, "missing": None, "store_drained_s": None}
        if config.history_channels <= 0 or not self.plan.users or self.plan.users[0].get("access") is None:
            return result
        acked = {channel: set(seqs) for channel, seqs in recorder.acked.items()}
        channel_ids = [channel["id"] for channel in self.plan.channels]
        if len(channel_ids) > config.history_channels:
            channel_ids = random.Random(0).sample(channel_ids, config.history_channels)
        result["store_drained_s"] = watcher.result()
        started = time.time()
        try:
            result["missing"] = history_missing(
                base_url=http_url(config.urls[0]), plan=self.plan, acked=acked, channel_ids=channel_ids
            )
        except (httpx.HTTPError, KeyError, ValueError) as error:
            result["error"] = f"history could not be read: {error}"
            return result
        result["checked_channels"] = len(channel_ids)
        result["check_seconds"] = time.time() - started
        result["store_exported"] = watcher.exported
        return result

    def _summary(
        self, recorder: Recorder, *, started_at, connected_at, send_start, send_end, open_at_end, machine_busy, history
    ) -> dict:
        config = self.config
        duration = max(1e-6, send_end - send_start)
        planned = len(self.plan.users)
        failed = sum(recorder.connect_failures.values())
        delivery = delivery_check(recorder, self.subscriptions)
        sent, acked = len(recorder.sent_at), len(recorder.ack)
        sending = [s for s in self.samples if send_start <= s["at"] <= send_end + 0.5]
        cpu_by_worker: dict[int, list[float]] = {}
        for sample in sending:
            cpu_by_worker.setdefault(sample["worker"], []).append(sample["cpu"])
        cpu_means = [sum(values) / len(values) for values in cpu_by_worker.values()]
        last_delivery = max(recorder.delivery_at, default=send_end)
        series = time_series(
            recorder, start=send_start, end=min(send_end + config.drain, max(send_end, last_delivery) + 1)
        )
        series["tool_cpu"] = [[round(s["at"] - send_start, 2), s["worker"], round(s["cpu"], 3)] for s in self.samples]
        series["open"] = [[round(s["at"] - send_start, 2), s["worker"], s["open"]] for s in self.samples]
        return {
            "label": config.label,
            "urls": config.urls,
            "shape": config.shape,
            "started_at": started_at,
            "rate_target": config.rate,
            "duration_s": config.duration,
            "processes": len(cpu_by_worker) or config.processes,
            "connections": {
                "planned": planned,
                "opened": len(recorder.connect),
                "failed": dict(recorder.connect_failures),
                "open_at_end": open_at_end,
                "disconnects": dict(recorder.disconnects),
                "connect_seconds": connected_at - started_at,
            },
            "sent": sent,
            "acked": acked,
            "rate_achieved": sent / duration,
            "deliveries": delivery.__dict__,
            "errors": dict(recorder.errors),
            "frames_received": dict(recorder.frames),
            "actions": dict(recorder.actions),
            "latency": {
                "connect": latency_row(
                    recorder.connect, errors=failed, attempts=planned, seconds=max(1e-6, connected_at - started_at)
                ),
                "subscribe": latency_row(
                    recorder.subscribe,
                    errors=0,
                    attempts=len(recorder.subscribe),
                    seconds=max(1e-6, connected_at - started_at),
                ),
                "ack": latency_row(recorder.ack, errors=sent - acked, attempts=sent, seconds=duration),
                "delivery": latency_row(
                    recorder.delivery, errors=delivery.lost, attempts=delivery.expected, seconds=duration
                ),
            },
            "history": history,
            "tool": {
                "cpu_mean_by_process": cpu_means,
                "cpu_max_sample": max((s["cpu"] for s in sending), default=0.0),
                "loop_lag_max_ms": max((s["lag_ms"] for s in sending), default=0.0),
                "saturated": any(mean >= SATURATED_CPU_SHARE for mean in cpu_means),
            },
            "machine": {"cpu_busy_share": machine_busy, "load_average": machine.load_average()},
            "timeseries": series,
        }
