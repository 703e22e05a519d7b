"""The production topology on one machine, without Docker: `bin/cluster`.

    nginx (docker/nginx.conf) on --port  ->  --web nodes (chat.realtime.server) on the next ports
    Celery worker(s) (threads pool, /metrics on --port + 100), exactly one Celery beat,
    all against the local PostgreSQL and Redis.

Every process's output is printed with its name in front, like honcho or foreman. Ctrl-C
(or SIGTERM) drains the web nodes and stops everything. SIGHUP (`bin/cluster restart`)
restarts the web nodes one by one: drain, exit, start again on the same port, wait until
/readyz answers 200, then the next node. If a process dies on its own, the cluster stops.
"""

import argparse
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from config.celery import WORKER_OPTIONS
from ops import nginx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
READY_TIMEOUT_SECONDS = 60


class Child:
    """One managed process; its output goes to ours, each line prefixed with its name."""

    def __init__(self, name: str, args: list[str], env: dict):
        self.name, self.args, self.env = name, args, env
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Child":
        self.popen = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # Ctrl-C in the terminal reaches the manager only; it stops the children in order
        )
        threading.Thread(target=self._relay, args=(self.popen,), daemon=True).start()
        return self

    def _relay(self, popen: subprocess.Popen) -> None:
        for line in popen.stdout:
            sys.stdout.write(f"{self.name:<8} | {line}")
            sys.stdout.flush()

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum: int) -> None:
        if self.running():
            self.popen.send_signal(signum)

    def wait(self, timeout: float) -> int | None:
        if self.popen is None:  # never started: the cluster stopped while starting
            return None
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait()


def wait_ready(child: Child, port: int) -> None:
    """Until /readyz on the port answers 200: a process that was started may not listen yet."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if not child.running():
            raise RuntimeError(f"{child.name} exited while starting")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{child.name} was not ready within {READY_TIMEOUT_SECONDS} s")


class WebNode(Child):
    def __init__(self, name: str, port: int, env: dict):
        self.port = port
        # Client addresses: the app believes nginx only (TRUSTED_PROXIES, core/web/proxies.py).
        args = [PYTHON, "-m", "chat.realtime.server", "-b", "127.0.0.1", "-p", str(port)]
        super().__init__(name, args, {**env, "NODE_NAME": name})

    def wait_ready(self) -> None:
        wait_ready(self, self.port)


def cluster_env(var: Path) -> dict:
    """Production settings against the local services; one secret key for every process and restart."""
    key_file = var / "secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/messenger")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    env.setdefault("CELERY_BROKER_URL", env["REDIS_URL"])
    env.setdefault("DJANGO_SECRET_KEY", key_file.read_text())
    env.setdefault("APP_VAR_DIR", str(var / "app"))
    env.setdefault("LOG_FORMAT", "json")
    env.setdefault("TRUSTED_PROXIES", "127.0.0.1/32")  # nginx, on this machine
    # This machine's Redis keeps nothing on disk; production's must (docker/compose.yaml does).
    env.setdefault("CHAT_REDIS_DURABILITY", "none")
    env.update(PYTHONUNBUFFERED="1")
    return env


def ensure_database(env: dict) -> None:
    """CREATE DATABASE when the one DATABASE_URL names does not exist yet."""
    import psycopg

    url = env["DATABASE_URL"]
    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


class Cluster:
    def __init__(self, *, web: int, port: int, workers: int, var: Path):
        self.var = var
        self.env = cluster_env(var)
        self.nodes = [WebNode(f"web{i + 1}", port + 1 + i, self.env) for i in range(web)]
        celery = [PYTHON, "-m", "celery", "-A", "config"]
        self.workers = [
            Child(
                f"worker{i + 1}",
                [
                    *celery,
                    "worker",
                    "--pool=threads",
                    "--concurrency=4",
                    *WORKER_OPTIONS,
                    "--loglevel=INFO",
                    "-n",
                    f"worker{i + 1}@%h",
                ],
                {
                    **self.env,
                    "NODE_NAME": f"worker{i + 1}",
                    "CELERY_METRICS_PORT": str(port + 100 + i),
                    "CELERY_METRICS_ADDR": "127.0.0.1",
                },
            )
            for i in range(workers)
        ]
        beat = [*celery, "beat", "--loglevel=INFO", "--schedule", str(var / "celerybeat-schedule")]
        self.beat = Child("beat", beat, {**self.env, "NODE_NAME": "beat"})
        config = nginx.render(listen_port=port, upstream_ports=[n.port for n in self.nodes], workdir=var / "nginx")
        self.balancer = Child("nginx", nginx.command(config), self.env)
        self.port = port
        self.stopping = False
        self.stop_requested = threading.Event()
        self.restart_requested = threading.Event()

    def children(self) -> list[Child]:
        return [*self.nodes, *self.workers, self.beat, self.balancer]

    def run(self) -> int:
        ensure_database(self.env)
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=self.env, check=True)
        try:
            return self.serve()
        except RuntimeError as error:  # a process that would not start: stop the others, leave none behind
            self.say(f"{error}: stopping the cluster")
            self.stop()
            return 1

    def serve(self) -> int:
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            node.wait_ready()
        for child in (*self.workers, self.beat, self.balancer):
            child.start()
        wait_ready(self.balancer, self.port)  # "ready" means served through nginx, not just nginx spawned
        self.say(
            f"ready: http://127.0.0.1:{self.port}/ ({len(self.nodes)} web nodes, {len(self.workers)} workers, 1 beat)"
        )
        while not self.stop_requested.is_set():
            if self.restart_requested.is_set():
                self.restart_requested.clear()
                self.rolling_restart()
            dead = [child for child in self.children() if not child.running()]
            if dead:
                self.say(f"{dead[0].name} exited with {dead[0].popen.returncode}: stopping the cluster")
                self.stop()
                return 1
            time.sleep(0.2)
        self.stop()
        return 0

    def rolling_restart(self) -> None:
        for index, node in enumerate(self.nodes):
            self.say(f"rolling restart: draining {node.name}")
            node.signal(signal.SIGTERM)
            node.wait(timeout=float(self.env.get("DRAIN_TIMEOUT_SECONDS", 30)) + 15)
            fresh = self.nodes[index] = WebNode(node.name, node.port, self.env)
            fresh.start().wait_ready()
            self.say(f"rolling restart: {node.name} is back")
        self.say("rolling restart done")

    def stop(self) -> None:
        self.stopping = True
        for node in self.nodes:
            node.signal(signal.SIGTERM)  # drain
        for child in (*self.workers, self.beat):
            child.signal(signal.SIGTERM)  # Celery's warm shutdown
        for child in [*self.nodes, *self.workers, self.beat]:
            child.wait(timeout=float(self.env.get("DRAIN_TIMEOUT_SECONDS", 30)) + 15)
        self.balancer.signal(signal.SIGQUIT)  # nginx's graceful stop, once no node is left behind it
        self.balancer.wait(timeout=10)
        self.say("stopped")

    def say(self, text: str) -> None:
        print(f"{'cluster':<8} | {text}", flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bin/cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "command",
        nargs="?",
        choices=["run", "restart"],
        default="run",
        help="run the cluster (default), or ask the running one for a rolling restart",
    )
    parser.add_argument("--web", type=int, default=2, help="web nodes (default 2)")
    parser.add_argument("--workers", type=int, default=1, help="Celery workers (default 1)")
    parser.add_argument("--port", type=int, default=8000, help="the balancer's port; nodes use the next ones")
    parser.add_argument("--var", type=Path, default=ROOT / "var" / "cluster", help="runtime folder")
    args = parser.parse_args(argv)
    args.var.mkdir(parents=True, exist_ok=True)
    pidfile = args.var / "cluster.pid"
    if args.command == "restart":
        os.kill(int(pidfile.read_text()), signal.SIGHUP)
        print("rolling restart requested")
        return 0
    cluster = Cluster(web=args.web, port=args.port, workers=args.workers, var=args.var)
    pidfile.write_text(str(os.getpid()))
    signal.signal(signal.SIGHUP, lambda *_: cluster.restart_requested.set())
    signal.signal(signal.SIGTERM, lambda *_: cluster.stop_requested.set())
    signal.signal(signal.SIGINT, lambda *_: cluster.stop_requested.set())
    try:
        return cluster.run()
    finally:
        pidfile.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
