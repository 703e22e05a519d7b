"""Real server processes for socket tests: web nodes (chat.realtime.server) and a Celery worker.

They share the test database (pytest-django's) and the test Redis with the test process,
so data a test commits is what the servers see.
"""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import closing, contextmanager
from pathlib import Path

import websockets
from asgiref.sync import sync_to_async
from rest_framework_simplejwt.tokens import AccessToken

from config.celery import WORKER_OPTIONS
from conftest import EMBEDDED

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_name: str, **extra: str) -> dict:
    env = dict(os.environ)
    if env.get("DATABASE_URL"):
        database_url = env["DATABASE_URL"].rsplit("/", 1)[0] + f"/{database_name}"
    else:
        database_url = f"sqlite:///{database_name}"  # the embedded mode: a SQLite file
    # The shared test Redis keeps no append-only file; the fault tests start one that does.
    env.update(
        DATABASE_URL=database_url,
        CELERY_TASK_ALWAYS_EAGER="0",
        PYTHONUNBUFFERED="1",
        CHAT_REDIS_DURABILITY="none",
        **extra,
    )
    if env.get("REDIS_URL"):
        env.setdefault("CELERY_BROKER_URL", env["REDIS_URL"])
    return env


class Process:
    def __init__(self, args: list[str], env: dict, log_name: str):
        log_dir = ROOT / "var" / "test-logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{log_name}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
        self.popen.wait(timeout=30)

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


class ListeningProcess(Process):
    """A process serving HTTP and /ws/ on self.port (a web node, or the balancer in front)."""

    port: int
    health_path = "/healthz"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.http_url}{self.health_path}", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.health_path} on port {self.port} did not answer 200; see {self.log_path}")


class WebNode(ListeningProcess):
    """A web node as production runs it: chat.realtime.server (CHAT_WEB_SERVER; drains on SIGTERM)."""

    def __init__(self, env: dict, name: str, port: int | None = None):
        self.port = port or free_port()
        self.env, self.name = env, name
        super().__init__(self.command(self.port), {**env, "NODE_NAME": name}, name)
        self.wait_healthy()

    @staticmethod
    def command(port: int) -> list[str]:
        return [sys.executable, "-m", "chat.realtime.server", "-b", "127.0.0.1", "-p", str(port)]

    def drain(self) -> None:
        """SIGTERM: the node drains its sockets and exits; wait_exit() waits for that."""
        os.kill(self.popen.pid, signal.SIGTERM)

    def wait_exit(self, timeout: float = 60) -> int:
        code = self.popen.wait(timeout=timeout)
        self.log.close()
        return code

    def restarted(self) -> "WebNode":
        """A new process on the same port (the balancer's upstream address)."""
        return WebNode(self.env, self.name, port=self.port)


@contextmanager
def node_pair(env: dict, name: str):
    """Two web nodes sharing Redis ("<name>-a", "<name>-b"); in the embedded mode there is no
    Redis between processes, so one process ("<name>-embedded") plays both parts."""
    if EMBEDDED:
        node = WebNode(env, f"{name}-embedded")
        nodes = [node, node]
    else:
        nodes = [WebNode(env, f"{name}-a"), WebNode(env, f"{name}-b")]
    try:
        yield nodes
    finally:
        for node in set(nodes):
            node.stop()


class CeleryWorker(Process):
    def __init__(self, env: dict, name: str = "celery"):
        super().__init__(
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "--beat",
                "--pool=solo",
                *WORKER_OPTIONS,
                "--loglevel=INFO",
                "--schedule",
                str(ROOT / "var" / f"{name}-beat-schedule"),
            ],
            env,
            name,
        )


def post_json(node: "WebNode", path: str, user, body: dict) -> dict:
    return request_json(node, "POST", path, user, body)


def request_json(node: "WebNode", method: str, path: str, user, body: dict | None = None) -> dict | None:
    request = urllib.request.Request(
        f"{node.http_url}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {access_token(user)}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def _call(node: "WebNode", method: str, path: str, user, body: dict | None = None) -> tuple[int, dict | None]:
    request = urllib.request.Request(
        f"{node.http_url}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {access_token(user)}", "Content-Type": "application/json"},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


# A REST request as `user`, from a test's event loop: (status, body), an error status included.
call = sync_to_async(_call)


def rss_bytes(pid: int) -> int:
    """A server process's resident memory."""
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def access_token(user) -> str:
    if isinstance(user, str):
        return user  # a token from a real sign-in (the deployment test signs in through nginx)
    return str(AccessToken.for_user(user))  # no refresh token: that would be a database row (the blacklist)


class Client:
    """A test WebSocket client that keeps every frame it receives."""

    def __init__(self, connection):
        self.connection = connection

    @classmethod
    async def connect(cls, url: str, user=None, origin: str = "http://127.0.0.1"):
        headers = {"Authorization": f"Bearer {access_token(user)}"} if user is not None else {}
        connection = await websockets.connect(url, additional_headers=headers, origin=origin, max_size=2**22)
        return cls(connection)

    @classmethod
    async def subscribed(cls, url: str, user, channel: int, since_seq: int | None = None):
        """A client connected and subscribed to the channel (what follows the subscribed frame,
        the replay and the snapshots, is still to be read)."""
        client = await cls.connect(url, user)
        await client.subscribe(channel, since_seq)
        return client

    async def send(self, **frame) -> None:
        await self.connection.send(json.dumps(frame))

    async def recv(self, timeout: float = 10) -> dict:
        return json.loads(await asyncio.wait_for(self.connection.recv(), timeout))

    async def recv_until(self, predicate, timeout: float = 10) -> list[dict]:
        """Frames up to and including the first one matching predicate."""
        frames = []
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            frame = await self.recv(timeout=max(0.01, deadline - asyncio.get_running_loop().time()))
            frames.append(frame)
            if predicate(frame):
                return frames

    async def send_message(self, channel: int, body: str, client_msg_id: str, **extra) -> dict:
        """Sends a message and waits for its answer: the ack, or the error."""
        await self.send(type="send", channel=channel, body=body, client_msg_id=client_msg_id, **extra)
        frames = await self.recv_until(
            lambda f: f["type"] in ("ack", "error") and f.get("client_msg_id") == client_msg_id
        )
        return frames[-1]

    async def subscribe(self, channel: int, since_seq: int | None = None) -> dict:
        frame = {"type": "subscribe", "channel": channel}
        if since_seq is not None:
            frame["since_seq"] = since_seq
        await self.send(**frame)
        return (await self.recv_until(lambda f: f["type"] in ("subscribed", "error")))[-1]

    async def flush(self) -> list[dict]:
        """Everything received before a pong: the server answers frames in order."""
        await self.send(type="ping")
        frames = await self.recv_until(lambda f: f["type"] == "pong")
        return frames[:-1]

    async def close(self) -> None:
        await self.connection.close()


class RedisServer(Process):
    """A private Redis for tests that kill it, by default with production persistence
    (append-only file, fsync on every write): the shared test Redis keeps nothing on disk."""

    def __init__(
        self,
        name: str,
        data_dir: Path,
        port: int | None = None,
        appendfsync: str = "always",
        appendonly: bool = True,
        extra_args: tuple[str, ...] = (),
    ):
        self.port = port or free_port()
        self.name, self.data_dir, self.appendfsync, self.appendonly = name, data_dir, appendfsync, appendonly
        self.extra_args = extra_args
        data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            "redis-server",
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(data_dir),
            "--appendonly", "yes" if appendonly else "no",
            "--appendfsync", appendfsync,
            "--save", "",
            "--maxmemory-policy", "noeviction",
            *extra_args,
        ]  # fmt: skip
        super().__init__(args, {**os.environ}, name)
        self._wait_answering()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _wait_answering(self, timeout: float = 15) -> None:
        import redis

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url, socket_timeout=1).ping():
                    return
            except redis.RedisError:
                time.sleep(0.1)
        raise RuntimeError(f"Redis on {self.port} did not answer; see {self.log_path}")

    def restarted(self) -> "RedisServer":
        """A new process on the same port and data: what it acknowledged before must be there."""
        return RedisServer(
            self.name,
            self.data_dir,
            port=self.port,
            appendfsync=self.appendfsync,
            appendonly=self.appendonly,
            extra_args=self.extra_args,
        )


def free_port_block(offsets: tuple[int, ...], taken: frozenset[int] | set[int] = frozenset()) -> int:
    """A free port P with P + offset free too for every offset: for a process that derives its
    other ports from P (a Redis Cluster bus, bin/cluster's nodes). The suite's outgoing
    connections take ephemeral ports all the time, so a neighbour of a free port may be busy."""
    while True:
        port = free_port()
        wanted = [port + offset for offset in offsets]
        if max(wanted) < 65536 and taken.isdisjoint([port, *wanted]) and all(map(_free, wanted)):
            return port


def free_cluster_port(taken: set[int]) -> int:
    """A free port whose cluster bus port (port + 10000) is free too."""
    return free_port_block((10000,), taken)


def _free(port: int) -> bool:
    with closing(socket.socket()) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class RedisClusterServers:
    """A Redis Cluster from the installed redis-server: three primaries with one replica each, on
    free ports, each with the production persistence (append-only file, fsync on every write),
    created by `redis-cli --cluster create`. A small node timeout makes a failover take seconds."""

    NODE_TIMEOUT_MS = 1500

    def __init__(self, name: str, data_dir: Path, primaries: int = 3):
        taken: set[int] = set()
        ports = []
        for _ in range(primaries * 2):
            ports.append(free_cluster_port(taken))
            taken.update((ports[-1], ports[-1] + 10000))
        cluster_args = (
            "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", str(self.NODE_TIMEOUT_MS),
        )  # fmt: skip
        self.servers = [
            RedisServer(f"{name}-{port}", data_dir / str(port), port=port, extra_args=cluster_args) for port in ports
        ]
        created = subprocess.run(
            ["redis-cli", "--cluster", "create", *self.addresses, "--cluster-replicas", "1", "--cluster-yes"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if created.returncode != 0:
            self.stop()
            raise RuntimeError(f"redis-cli --cluster create failed: {created.stdout}{created.stderr}")
        self.wait_healthy()

    @property
    def addresses(self) -> list[str]:
        return [f"127.0.0.1:{server.port}" for server in self.servers]

    @property
    def nodes(self) -> str:
        """REDIS_CLUSTER_NODES."""
        return ",".join(self.addresses)

    def client(self, server: RedisServer):
        import redis

        return redis.Redis(port=server.port, socket_timeout=2)

    def wait_healthy(self, timeout: float = 60) -> None:
        """Until every node says the cluster is ok and every primary has a replica in sync."""
        import redis

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if all(self._healthy(server) for server in self.servers):
                    return
            except redis.RedisError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the Redis Cluster did not become healthy; see var/test-logs")

    def _healthy(self, server: RedisServer) -> bool:
        client = self.client(server)
        if client.cluster("INFO").get("cluster_state") != "ok":
            return False
        replication = client.info("replication")
        if replication["role"] == "master":
            return replication.get("connected_slaves", 0) >= 1
        return replication.get("master_link_status") == "up"

    def client_of_cluster(self):
        from redis.cluster import ClusterNode, RedisCluster

        return RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", server.port) for server in self.servers])

    def primary_of(self, key: str) -> RedisServer | None:
        """The server that serves the key's slot now, as the cluster says (None while it cannot say)."""
        import redis

        try:
            cluster = self.client_of_cluster()
        except redis.RedisError:
            return None
        try:
            port = cluster.get_node_from_key(key).port
        finally:
            cluster.close()
        return next(server for server in self.servers if server.port == port)

    def replace(self, server: RedisServer, restarted: RedisServer) -> None:
        self.servers[self.servers.index(server)] = restarted

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
