"""Server processes of the bench: started with their output in a log file, read from /proc, stopped."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


class Service:
    def __init__(self, name: str, args: list[str], env: dict, log_dir: Path, port: int | None = None):
        self.name, self.args, self.env, self.port = name, args, env, port
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Service":
        if self.port is not None and port_in_use(self.port):
            raise RuntimeError(f"port {self.port} for {self.name} is taken (a bench left running? see --port)")
        log = open(self.log_path, "a")  # noqa: SIM115 - the child keeps it; closed when we stop it
        self.popen = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        return self

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def wait_listening(self, path: str = "/healthz", timeout: float = 60) -> None:
        """Until the port answers HTTP (any status: the reference servers only speak WebSocket)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=1).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not listen on {self.port} within {timeout} s; see {self.log_path}")

    def stop(self, timeout: float = 30) -> None:
        if not self.running():
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def rss_bytes(pid: int) -> int:
    """Resident memory of one process."""
    with open(f"/proc/{pid}/statm") as handle:
        return int(handle.read().split()[1]) * PAGE_BYTES


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process and its reaped children."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS


def descendants(root: int) -> list[int]:
    """Every live process under `root`."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def tree_rss_bytes(root: int) -> int:
    """Resident memory of `root` and everything it started (hypercorn serves from a child process)."""
    total = 0
    for pid in [root, *descendants(root)]:
        try:
            total += rss_bytes(pid)
        except OSError:
            continue  # exited between the listing and the read
    return total


def tree_cpu_seconds(root: int) -> float:
    """CPU used by `root` and everything it started, finished or not."""
    total = 0.0
    for pid in [root, *descendants(root)]:
        try:
            total += cpu_seconds(pid)
        except OSError:
            continue  # exited between the listing and the read; its parent's children time has it
    return total
