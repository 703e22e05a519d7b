"""The servers under test: the product's production stack, and the two reference servers.

Each one starts, gives the load tool its node URLs and users, names the processes whose
memory and CPU count as the server's, and stops. They run one at a time on their own
PostgreSQL database and Redis database, so they never touch anyone else's data.
"""

import importlib.util
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import redis

from bench.processes import ROOT, Service
from chat.realtime.protocol import MAX_MESSAGE_BYTES
from config.celery import WORKER_OPTIONS
from ops.cluster import ensure_database

PYTHON = sys.executable
BIN = Path(PYTHON).parent


def flush_redis(url: str) -> None:
    """Empties the bench's own Redis database (never another one: the URL names it)."""
    redis.Redis.from_url(url).flushdb()


# Redis's persistence for the product (chat/realtime/durability.py): "none" is the bench's Redis database
# on the machine's Redis (no append-only file); "aof" and "fsync" start a Redis of the stack's own.
REDIS_PERSISTENCE = {"none": None, "aof": "everysec", "fsync": "always"}


def private_redis(*, port: int, appendfsync: str | None, var: Path, name: str = "redis", extra: tuple = ()) -> Service:
    data = var / name
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    persistence = ["--appendonly", "yes", "--appendfsync", appendfsync] if appendfsync else ["--appendonly", "no"]
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data), "--save", "",
            *persistence, "--maxmemory-policy", "noeviction", *extra]  # fmt: skip
    return Service(name, args, _base_env(), var / "logs", port=port)


CLUSTER_PRIMARIES = 3


def cluster_nodes(*, port: int, appendfsync: str | None, var: Path) -> list[Service]:
    """The redis-servers of a Redis Cluster, three primaries and a replica each (made by create_cluster)."""
    extra = ("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000")
    return [
        private_redis(port=port + i, appendfsync=appendfsync, var=var, name=f"redis-cluster-{i + 1}", extra=extra)
        for i in range(CLUSTER_PRIMARIES * 2)
    ]


def create_cluster(nodes: list[Service], timeout: float = 60) -> None:
    addresses = [f"127.0.0.1:{node.port}" for node in nodes]
    subprocess.run(
        ["redis-cli", "--cluster", "create", *addresses, "--cluster-replicas", "1", "--cluster-yes"],
        check=True,
        capture_output=True,
    )
    deadline = time.monotonic() + timeout
    for node in nodes:  # every node agrees the cluster is ok
        client = redis.Redis(port=node.port, socket_timeout=1)
        while client.cluster("INFO").get("cluster_state") != "ok":
            if time.monotonic() > deadline:
                raise RuntimeError("the bench's Redis Cluster did not become ok")
            time.sleep(0.2)


def web_node_command(web_server: str, port: int) -> list[str]:
    """A web node of the product on the given server: the production launcher with either of its servers
    (CHAT_WEB_SERVER, set by web_node_env), or another server's own command on the same application, each
    with its limit on one message set to the product's (protocol.MAX_MESSAGE_BYTES) where it has one."""
    if web_server in ("uvicorn", "granian"):
        return [PYTHON, "-m", "chat.realtime.server", "-b", "127.0.0.1", "-p", str(port)]
    if web_server == "daphne":
        return [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                "--websocket-max-message-size", str(MAX_MESSAGE_BYTES), "config.asgi:application"]  # fmt: skip
    if web_server == "hypercorn":
        # python -m: its settings module (bench.hypercorn_config) imports from this checkout.
        return [PYTHON, "-m", "hypercorn", "-b", f"127.0.0.1:{port}", "-k", "uvloop",
                "-c", "python:bench.hypercorn_config", "config.asgi:application"]  # fmt: skip
    # uvicorn's own command with its defaults: permessage-deflate offered, 16 MiB per message.
    return [str(BIN / "uvicorn"), "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
            "--loop", "uvloop", "--http", "httptools", "--ws", "websockets-sansio", "--no-access-log",
            "--lifespan", "off"]  # fmt: skip


def web_node_env(web_server: str) -> dict:
    return {"CHAT_WEB_SERVER": web_server} if web_server in ("uvicorn", "granian") else {}


WEB_SERVERS = {
    "product": "uvicorn",
    "product-granian": "granian",
    "product-hypercorn": "hypercorn",
    "product-daphne": "daphne",
    "product-uvicorn-cli": "uvicorn-cli",
    "product-cluster": "uvicorn",
}


def program_missing(name: str) -> str | None:
    """The program a server needs, if it is not installed (hypercorn comes with requirements-dev.txt)."""
    web_server = WEB_SERVERS.get(name)
    if web_server == "hypercorn":  # run as python -m hypercorn
        return None if importlib.util.find_spec("hypercorn") else "hypercorn"
    program = web_node_command(web_server, 0)[0] if web_server else None
    return program if program and not Path(program).exists() else None


class ProductStack:
    """Production mode: web nodes (chat.realtime.server), Celery worker(s), one beat, PostgreSQL, Redis;
    product-cluster puts the realtime path on a Redis Cluster of its own (REDIS_CLUSTER_NODES)."""

    def __init__(
        self,
        *,
        nodes: int,
        workers: int,
        port: int,
        database_url: str,
        redis_url: str,
        var: Path,
        redis_persistence: str = "none",
        name: str = "product",
    ):
        self.name, self.var = name, var
        self.redis = None
        appendfsync = REDIS_PERSISTENCE[redis_persistence]
        self.cluster = (
            cluster_nodes(port=port + 70, appendfsync=appendfsync, var=var) if name == "product-cluster" else []
        )
        if appendfsync and not self.cluster:
            self.redis = private_redis(port=port + 90, appendfsync=REDIS_PERSISTENCE[redis_persistence], var=var)
            redis_url = f"redis://127.0.0.1:{port + 90}/0"
        self.redis_url, self.database_url = redis_url, database_url
        self.env = {
            **_base_env(),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "APP_VAR_DIR": str(var / "app"),
            "LOG_FORMAT": "json",
            # Per-connection limits for people, not for a load run whose users each send far less
            # than a person may; the run's own per-connection rate is printed with each figure.
            "CHAT_SEND_RATE_PER_SECOND": "1000",
            "CHAT_SEND_BURST": "1000",
            "CHAT_IDLE_TIMEOUT_SECONDS": "3600",
            "THROTTLE_SIGNUP": "100000/min",
            "THROTTLE_SIGNIN": "100000/min",
            "DRAIN_TIMEOUT_SECONDS": "5",  # stopping between scenarios need not wait for stragglers
            "CHAT_REDIS_DURABILITY": redis_persistence,
        }
        if self.cluster:
            self.env["REDIS_CLUSTER_NODES"] = ",".join(f"127.0.0.1:{node.port}" for node in self.cluster)
        self.nodes = [
            Service(
                f"web{i + 1}",
                web_node_command(WEB_SERVERS[name], port + i),
                {**self.env, **web_node_env(WEB_SERVERS[name]), "NODE_NAME": f"web{i + 1}"},
                var / "logs",
                port=port + i,
            )
            for i in range(nodes)
        ]
        celery = [PYTHON, "-m", "celery", "-A", "config"]
        self.workers = [
            Service(
                f"worker{i + 1}",
                [
                    *celery,
                    "worker",
                    "--pool=threads",
                    "--concurrency=4",
                    *WORKER_OPTIONS,
                    "--loglevel=WARNING",
                    "-n",
                    f"bench-worker{i + 1}@%h",
                ],
                self.env,
                var / "logs",
            )
            for i in range(workers)
        ]
        self.beat = Service(
            "beat",
            [*celery, "beat", "--loglevel=WARNING", "--schedule", str(var / "beat-schedule")],
            self.env,
            var / "logs",
        )

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{node.port}" for node in self.nodes]

    @property
    def services(self) -> list[Service]:
        """Everything the server's CPU and memory are counted over (its own Redis included)."""
        return [*([self.redis] if self.redis else []), *self.cluster, *self.nodes, *self.workers, self.beat]

    @property
    def connection_holders(self) -> list[Service]:
        """The processes that hold the WebSockets (memory per connection)."""
        return self.nodes

    def start(self) -> None:
        (self.var / "app").mkdir(parents=True, exist_ok=True)
        for stale in self.var.glob("plan-*.json"):  # users and tokens of an earlier database and secret key
            stale.unlink()
        _recreate_database(self.env["DATABASE_URL"])
        if self.redis is not None:
            self.redis.start()
            _wait_for_redis(self.redis_url)
        flush_redis(self.redis_url)
        for node in self.cluster:
            node.start()
            _wait_for_redis(f"redis://127.0.0.1:{node.port}/0")
        if self.cluster:
            create_cluster(self.cluster)
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=self.env, check=True)
        for service in self.services:
            if not service.running():
                service.start()
        for node in self.nodes:
            node.wait_listening("/readyz")

    def provision(self, *, users: int, channels: int, per_channel: int, largest: int | None = None) -> list[str]:
        """Load-tool arguments that bring these users: a plan from python -m loadtest.database."""
        plan = self.var / f"plan-{users}-{channels}-{per_channel}{f'-{largest}' if largest else ''}.json"
        if not plan.exists():
            subprocess.run(
                [
                    PYTHON,
                    "-m",
                    "loadtest.database",
                    "--users",
                    str(users),
                    "--channels",
                    str(channels),
                    "--per-channel",
                    str(per_channel),
                    "--output",
                    str(plan),
                    *(["--largest-channel", str(largest)] if largest else []),
                ],
                cwd=ROOT,
                env=self.env,
                check=True,
                capture_output=True,
            )
        return ["--plan", str(plan)]

    def stop(self) -> None:
        for service in reversed(self.services):  # its Redis last
            service.stop()


class ReferenceServer:
    """A one-process comparison server without accounts: users are ids, nothing to provision."""

    def __init__(self, name: str, args: list[str], env: dict, port: int, var: Path, redis_url: str | None = None):
        self.name, self.redis_url = name, redis_url
        self.service = Service(name, args, env, var / "logs", port=port)

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.service.port}"]

    @property
    def services(self) -> list[Service]:
        return [self.service]

    connection_holders = services

    def start(self) -> None:
        if self.redis_url:
            flush_redis(self.redis_url)
        self.service.start()
        self.service.wait_listening("/")

    def provision(self, *, users: int, channels: int, per_channel: int, largest: int | None = None) -> list[str]:
        return ["--provision", "none", "--history-channels", "0"]

    def stop(self) -> None:
        self.service.stop()


def tutorial_server(*, port: int, redis_url: str, var: Path) -> ReferenceServer:
    """The Channels tutorial consumer on RedisChannelLayer, under daphne."""
    env = {**_base_env(), "DJANGO_SETTINGS_MODULE": "bench.tutorial.settings", "BENCH_REDIS_URL": redis_url}
    args = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "bench.tutorial.asgi:application"]
    return ReferenceServer("channels-tutorial", args, env, port, var, redis_url=redis_url)


def websockets_server(*, port: int, var: Path) -> ReferenceServer:
    """A bare `websockets` broadcast server: the ceiling."""
    args = [PYTHON, "-m", "bench.reference_websockets", "--port", str(port)]
    return ReferenceServer("bare-websockets", args, _base_env(), port, var)


def asgi_floor_server(*, port: int, var: Path) -> ReferenceServer:
    """The same rooms as a bare ASGI application on granian: what ASGI on granian costs per frame."""
    args = [PYTHON, "-m", "bench.reference_asgi", "--port", str(port)]
    return ReferenceServer("bare-granian", args, _base_env(), port, var)


def _wait_for_redis(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            redis.Redis.from_url(url, socket_timeout=1).ping()
            return
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _base_env() -> dict:
    import os

    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_", "REDIS_", "CELERY_"))}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _recreate_database(url: str) -> None:
    """A fresh bench database for each bench run (only the one DATABASE_URL names)."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    ensure_database({"DATABASE_URL": url})
