"""A newcomer's first minute: `bin/run` as the README gives it, on a fresh database. Its first
screen names the address, the address answers, and then the terminal stays quiet while the
background work (a periodic task twice a second) runs inside it."""

import os
import queue
import signal
import subprocess
import threading
import time
import urllib.request

from chat.tests.live import ROOT, free_port

FIRST_SCREEN_LINES = 24
QUIET_SECONDS = 12  # about 24 ticks of the most frequent periodic task


def read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))


def lines_until(lines: queue.Queue, seen: list[str], wanted: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not any(wanted in line for line in seen):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {wanted!r} within {timeout} s; bin/run printed:\n" + "\n".join(seen)
        try:
            seen.append(lines.get(timeout=remaining))
        except queue.Empty:
            continue


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def test_bin_run_names_the_address_first_then_stays_quiet(tmp_path):
    port = free_port()
    keep = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    environment = {**keep, "PORT": str(port), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    run = subprocess.Popen(
        [str(ROOT / "bin" / "run")],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines, args=(run.stdout, lines), daemon=True).start()
    seen: list[str] = []
    try:
        address = f"http://127.0.0.1:{port}/"
        lines_until(lines, seen, f"Open {address}", timeout=180)
        assert len(seen) <= FIRST_SCREEN_LINES, "the address is not on the first screen:\n" + "\n".join(seen)

        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = get(f"{address}readyz")
                break
            except OSError:
                assert time.monotonic() < deadline, "bin/run printed its address, which never answered"
                time.sleep(0.5)
        assert status == 200
        assert b'"background": true' in body  # the in-process schedule runs from the start
        assert b'"redis"' not in body  # no Redis in the embedded mode: readiness does not claim one
        status, _ = get(f"{address}accounts/signup/")
        assert status == 200

        time.sleep(QUIET_SECONDS)
        while not lines.empty():
            seen.append(lines.get())
        printed = "\n".join(seen)
        assert len(seen) <= FIRST_SCREEN_LINES, f"bin/run went on printing:\n{printed}"
        assert "root" not in printed.lower(), printed  # e.g. Celery's warning about running as root
        assert "Traceback" not in printed, printed
        assert "WARNING" not in printed and "ERROR" not in printed, printed
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        run.wait(timeout=30)
