"""One load run as the bench sees it: the load tool's summary, plus what happened on the machine.

The machine is shared (2 cores, other engineers run test suites on it), so each run also
records the load average before and after, and how much CPU went to processes that are
neither the server under test nor the load tool ("foreign" CPU). A run with too much of it
was disturbed and is run again.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from bench.processes import ROOT, cpu_seconds, tree_cpu_seconds, tree_rss_bytes
from loadtest.machine import cpu_times

DISTURBED_FOREIGN_CORES = 0.25  # a quarter of a core for others, on average, spoils a figure
CORES = os.cpu_count() or 1


class LoadToolFailed(RuntimeError):
    def __init__(self, log_path):
        super().__init__(f"the load tool failed; its output is in {log_path}")
        self.log_path = log_path


@dataclass
class Observation:
    load_before: list
    load_after: list
    seconds: float
    busy_cores: float  # the whole machine, averaged over the run
    ours_cores: float  # the server under test (with its PostgreSQL backends and Redis), the load tool, the bench
    foreign_cores: float
    rss_before: int  # the processes holding the connections
    rss_peak: int
    attempts: int = 1
    extra: dict = field(default_factory=dict)

    @property
    def disturbed(self) -> bool:
        return self.foreign_cores > DISTURBED_FOREIGN_CORES


class MemorySampler:
    """The peak resident memory of some processes (summed), sampled every half second."""

    def __init__(self, pids: list[int]):
        self.pids = pids
        self.peak = self.current()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def current(self) -> int:
        return sum(tree_rss_bytes(pid) for pid in self.pids)

    def _run(self) -> None:
        while not self.stopped.wait(0.5):
            self.peak = max(self.peak, self.current())

    def stop(self) -> int:
        self.stopped.set()
        self.thread.join()
        return self.peak


class CpuTimeline:
    """CPU seconds of each of the server's processes (and its PostgreSQL backends and Redis, together)
    every second, so that the CPU of one phase of a run (the sending, not the connecting) can be told."""

    def __init__(self, services, database_url: str | None, own: set[int]):
        self.services, self.database_url, self.own = services, database_url, own
        self.samples: list[tuple[float, dict[str, float]]] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        cpu = {}
        for service in self.services:
            try:
                cpu[service.name] = cpu_seconds(service.pid)
            except OSError:
                continue
        cpu["postgres+redis"] = sum(shared_service_cpu(self.database_url, self.own).values())
        self.samples.append((time.time(), cpu))

    def _run(self) -> None:
        self._sample()
        while not self.stopped.wait(1.0):
            self._sample()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()

    def cores_between(self, start: float, end: float) -> dict[str, float]:
        """Cores each process used from the first sample at or after start to the last at or before end."""
        inside = [sample for sample in self.samples if start <= sample[0] <= end]
        if len(inside) < 2:
            return {}
        (first_at, first), (last_at, last) = inside[0], inside[-1]
        return {name: round((last[name] - first.get(name, 0.0)) / (last_at - first_at), 3) for name in last}


def shared_service_cpu(database_url: str | None, own: set[int] = frozenset()) -> dict[int, float]:
    """CPU seconds so far of the service processes working for the server under test.

    PostgreSQL serves each connection from its own backend process, and those are not our
    children: count the backends connected to the bench's database. Redis is one process
    shared with everyone on the machine; during a run nearly all its work is ours, so it counts.
    """
    pids = [
        int(entry)
        for entry in os.listdir("/proc")
        if entry.isdigit()
        and _command(entry) == "redis-server"
        and int(entry) not in own  # a stack's own: counted as ours
    ]
    if database_url:
        import psycopg

        name = database_url.rsplit("/", 1)[1].split("?")[0]
        with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
            rows = connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]).fetchall()
        pids += [row[0] for row in rows]
    found = {}
    for pid in pids:
        try:
            found[pid] = cpu_seconds(pid)
        except OSError:
            continue
    return found


def sending_window(summary: dict) -> tuple[float, float]:
    """When the load tool sent (after every connection opened), in wall-clock seconds."""
    from loadtest.runner import SEND_START_DELAY_SECONDS

    start = summary["started_at"] + summary["connections"]["connect_seconds"] + SEND_START_DELAY_SECONDS
    return start, start + summary["duration_s"]


def _command(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/comm") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def run_load(server, arguments: list[str], label: str, plot: str | None = None) -> tuple[dict, Observation]:
    """Runs `python -m loadtest` against the server; returns its summary and the observation."""
    with tempfile.TemporaryDirectory() as folder:
        summary_path = os.path.join(folder, "summary.json")
        command = [sys.executable, "-m", "loadtest", *arguments, "--label", label, "--json", summary_path]
        for url in server.urls:
            command += ["--url", url]
        if plot:
            command += ["--plot", plot]
        holders = [service.pid for service in server.connection_holders]
        load_before = [round(value, 2) for value in os.getloadavg()]
        memory = MemorySampler(holders)
        rss_before = memory.peak
        database_url = getattr(server, "database_url", None)
        own = {service.pid for service in server.services}
        services_before = shared_service_cpu(database_url, own)
        timeline = CpuTimeline(server.services, database_url, own)
        processes_before = {service.name: cpu_seconds(service.pid) for service in server.services}
        ours_before, machine_before, started = tree_cpu_seconds(os.getpid()), cpu_times(), time.time()
        finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        ours_after, machine_after, ended = tree_cpu_seconds(os.getpid()), cpu_times(), time.time()
        services_after = shared_service_cpu(database_url, own)
        processes_after = {service.name: cpu_seconds(service.pid) for service in server.services}
        peak = memory.stop()
        timeline.stop()
        if finished.returncode not in (0, 1) or not os.path.exists(summary_path):
            log_path = ROOT / "var" / "bench" / f"failed-load-{int(started)}.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log_path.write_text(finished.stdout + finished.stderr)
            raise LoadToolFailed(log_path)
        with open(summary_path) as handle:
            summary = json.load(handle)
        if plot:  # the runs drawn are kept whole too, for their per-second series
            kept = ROOT / "var" / "bench" / f"{os.path.splitext(os.path.basename(plot))[0]}.json"
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(summary_path, kept)
    seconds = ended - started
    jiffies = os.sysconf("SC_CLK_TCK") * seconds
    busy = (machine_after[0] - machine_before[0]) / jiffies
    # Work at lowered priority (other engineers' test runs under `nice -n 19`) takes only the
    # cores the run leaves idle, so it is not counted as disturbing it.
    niced = (machine_after[2] - machine_before[2]) / jiffies
    services = sum(cpu - services_before.get(pid, 0.0) for pid, cpu in services_after.items())
    by_process = {name: (cpu - processes_before[name]) / seconds for name, cpu in processes_after.items()}
    by_process["postgres+redis"] = services / seconds
    ours = (ours_after - ours_before + services) / seconds
    observation = Observation(
        load_before=load_before,
        load_after=[round(value, 2) for value in os.getloadavg()],
        seconds=seconds,
        busy_cores=busy,
        ours_cores=ours,
        foreign_cores=max(0.0, busy - niced - ours),
        rss_before=rss_before,
        rss_peak=peak,
        extra={
            "cores_by_process": {name: round(cores, 3) for name, cores in by_process.items()},
            "cores_while_sending": timeline.cores_between(*sending_window(summary)),
        },
    )
    return summary, observation
