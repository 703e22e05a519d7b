"""docker/'s compose topology run for real on one Docker host (bin/test-deployment).

No image registry is needed: the base is Debian bookworm from debootstrap (docker import), the
official postgres, redis, nginx and prometheus images are stood in for by docker/local/'s images
built from Debian's packages, and the app image is docker/Dockerfile on the local python stand-in.
Every image is tagged by a hash of its inputs and only built when that tag is missing, so a
second run builds nothing. The compose files are merged here (compose.yaml, the profile's file,
then docker/local's overrides) and run with docker-compose.
"""

import fnmatch
import hashlib
import io
import os
import secrets
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
LOCAL = DOCKER / "local"
DEBIAN_MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
CA_BUNDLE = Path(os.environ.get("BUILD_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt"))
# The stand-ins the local override files name (docker/local/compose*.yaml), each with its extra files.
STANDINS = {
    "python": [],
    "postgres": ["postgres-entrypoint.sh"],
    "redis": [],
    "nginx": [],
    "prometheus": [],
}
PROFILES = {
    "main": ["compose.yaml", "local/compose.local.yaml"],
    "cluster": [
        "compose.yaml",
        "compose.cluster.yaml",
        "local/compose.local.yaml",
        "local/compose.cluster.local.yaml",
    ],
}


def docker(*args: str, capture: bool = False, check: bool = True, **kwargs) -> str:
    result = subprocess.run(["docker", *args], check=check, text=True, capture_output=capture, **kwargs)
    return result.stdout.strip() if capture else ""


def image_exists(tag: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode == 0


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


def base_image() -> str:
    """Debian bookworm (minbase) from the mirror, imported once: its tag names what went in."""
    tag = f"messenger-local/bookworm:{_digest(b'debootstrap --variant=minbase bookworm', DEBIAN_MIRROR.encode())}"
    if not image_exists(tag):
        with tempfile.TemporaryDirectory(prefix="bookworm-") as rootfs:
            subprocess.run(["debootstrap", "--variant=minbase", "bookworm", rootfs, DEBIAN_MIRROR], check=True)
            tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
            subprocess.run(["docker", "import", "-", tag], stdin=tar.stdout, check=True, capture_output=True)
            if tar.wait():
                raise RuntimeError("tar of the debootstrap root failed")
    return tag


def _build(tag: str, files: dict[str, bytes], dockerfile: str, build_args: dict[str, str]) -> str:
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755 if name.endswith(".sh") else 0o644
            tar.addfile(info, io.BytesIO(data))
    args = [f"--build-arg={key}={value}" for key, value in build_args.items()]
    # Host networking at build time only: apt and pip reach their mirrors; the containers never get it.
    command = ["docker", "build", "--network=host", *args, "-f", dockerfile, "-t", tag, "-"]
    result = subprocess.run(command, input=context.getvalue(), capture_output=True)
    if result.returncode:
        raise RuntimeError(f"docker build {tag} failed:\n{result.stdout.decode()[-4000:]}{result.stderr.decode()}")
    return tag


def standin(name: str, base: str) -> str:
    """docker/local/<name>.Dockerfile on the Debian base; tagged <hash> and `local` (what compose names)."""
    files = {"Dockerfile": (LOCAL / f"{name}.Dockerfile").read_bytes()}
    files.update({extra: (LOCAL / extra).read_bytes() for extra in STANDINS[name]})
    if name == "python":
        files["ca-certificates.crt"] = CA_BUNDLE.read_bytes()
    tag = f"messenger-local/{name}:{_digest(base.encode(), *(k.encode() + v for k, v in sorted(files.items())))}"
    if not image_exists(tag):
        _build(tag, files, "Dockerfile", {"BASE_IMAGE": base})
    docker("tag", tag, f"messenger-local/{name}:local")
    return tag


def _ignored(relative: str, patterns: list[str]) -> bool:
    """Docker's ignore rules for the forms Dockerfile.dockerignore uses: `**/name` at any depth, else from the root."""
    parts = relative.split("/")
    for pattern in patterns:
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatchcase(part, pattern[3:]) for part in parts):
                return True
        elif any(fnmatch.fnmatchcase("/".join(parts[: i + 1]), pattern) for i in range(len(parts))):
            return True
    return False


def app_context() -> dict[str, bytes]:
    """The build context BuildKit would send: the repository minus Dockerfile.dockerignore, plus the Dockerfile."""
    patterns = [
        line.strip()
        for line in (DOCKER / "Dockerfile.dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    files = {}
    for directory, dirnames, filenames in os.walk(ROOT):
        relative_dir = os.path.relpath(directory, ROOT)
        prefix = "" if relative_dir == "." else relative_dir + "/"
        dirnames[:] = sorted(d for d in dirnames if not _ignored(prefix + d, patterns))
        for filename in filenames:
            path = Path(directory) / filename
            if not _ignored(prefix + filename, patterns) and path.is_file() and not path.is_symlink():
                files[prefix + filename] = path.read_bytes()
    files["docker/Dockerfile"] = (DOCKER / "Dockerfile").read_bytes()
    return files


def app_image(python_image: str) -> str:
    files = app_context()
    tag = f"messenger-app:{_digest(python_image.encode(), *(k.encode() + v for k, v in sorted(files.items())))}"
    if not image_exists(tag):
        _build(tag, files, "docker/Dockerfile", {"PYTHON_IMAGE": python_image})
    docker("tag", tag, "messenger-app:local")
    return tag


def build_images() -> dict[str, str]:
    base = base_image()
    tags = {name: standin(name, base) for name in STANDINS}
    tags["app"] = app_image(tags["python"])
    return tags


# --- compose files: merged as `docker compose -f a -f b` merges them (mappings deep, the rest
# replaced), with compose's `!reset` (drop the key) and `!override` (replace, not merge) tags.


class _Reset:
    pass


class _Override:
    def __init__(self, value):
        self.value = value


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!reset", lambda loader, node: _Reset())
_Loader.add_constructor(
    "!override",
    lambda loader, node: _Override(
        loader.construct_mapping(node, deep=True)
        if isinstance(node, yaml.MappingNode)
        else loader.construct_sequence(node, deep=True)
        if isinstance(node, yaml.SequenceNode)
        else loader.construct_scalar(node)
    ),
)


def _merge(base, override):
    if isinstance(override, _Override):
        return override.value
    if not (isinstance(base, dict) and isinstance(override, dict)):
        return override
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, _Reset):
            merged.pop(key, None)
        else:
            merged[key] = _merge(merged[key], value) if key in merged else _strip(value)
    return merged


def _strip(value):
    """An override's new key, its tags resolved."""
    if isinstance(value, _Override):
        return value.value
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not isinstance(v, _Reset)}
    return value


def merged_compose(profile: str) -> dict:
    spec: dict = {}
    for name in PROFILES[profile]:
        spec = _merge(spec, yaml.load((DOCKER / name).read_text(), Loader=_Loader))
    return spec


def free_ports(count: int) -> list[int]:
    """Distinct free ports on the loopback interface (all held until all are chosen)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class Deployment:
    """One compose project of a profile: up, look at, break, tear down (volumes too)."""

    def __init__(self, profile: str, project: str | None = None):
        self.profile = profile
        self.project = project or f"messenger-test-{profile}"
        self.http_port, self.prometheus_port = free_ports(2)
        self.env = {
            **os.environ,
            "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
            # The only published ports, both on the loopback interface.
            "HTTP_PORT": f"127.0.0.1:{self.http_port}",
            "PROMETHEUS_PORT": f"127.0.0.1:{self.prometheus_port}",
            "DJANGO_CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{self.http_port}",
        }
        self._dir = Path(tempfile.mkdtemp(prefix=f"{self.project}-"))
        self.file = self._dir / "compose.yaml"
        spec = merged_compose(profile)
        # docker-compose 1.x (Debian's) knows no top-level `name`: the project name is given instead.
        spec.pop("name", None)
        self.file.write_text(yaml.safe_dump(spec, sort_keys=False))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.http_port}/ws/"

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}"

    def compose(self, *args: str, capture: bool = False, check: bool = True, timeout: float = 900) -> str:
        command = [
            "docker-compose",
            "--project-name",
            self.project,
            "--project-directory",
            str(DOCKER),
            "--file",
            str(self.file),
            *args,
        ]
        result = subprocess.run(command, env=self.env, text=True, capture_output=capture, check=False, timeout=timeout)
        if check and result.returncode:
            detail = (result.stdout or "") + (result.stderr or "") if capture else ""
            raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{detail}\n{self.logs()}")
        return result.stdout if capture else ""

    def up(self) -> None:
        self.compose("up", "--detach", "--no-build", "--quiet-pull")
        self.wait_healthy(self.long_running())

    def long_running(self) -> list[str]:
        services = yaml.safe_load(self.file.read_text())["services"]
        return [name for name, service in services.items() if "healthcheck" in service]

    def container(self, service: str) -> str:
        return self.compose("ps", "--quiet", service, capture=True).strip()

    def inspect(self, service: str, template: str) -> str:
        return docker("inspect", "--format", template, self.container(service), capture=True)

    def health(self, service: str) -> str:
        return self.inspect(service, "{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}")

    def wait_healthy(self, services: list[str], timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while True:
            states = {service: self.health(service) for service in services}
            if all(state == "healthy" for state in states.values()):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not healthy after {timeout} s: {states}\n{self.logs()}")
            time.sleep(1)

    def exec(self, service: str, *command: str) -> str:
        return self.compose("exec", "-T", service, *command, capture=True)

    def node_metric(self, service: str, name: str) -> float:
        """A web node's own /metrics (nginx does not pass /metrics on), read inside its container."""
        script = (
            "import urllib.request\n"
            "from prometheus_client.parser import text_string_to_metric_families as f\n"
            "t = urllib.request.urlopen('http://127.0.0.1:8000/metrics', timeout=5).read().decode()\n"
            f"print(sum(s.value for m in f(t) for s in m.samples if s.name == {name!r}))\n"
        )
        return float(self.exec(service, "python", "-c", script))

    def kill_9(self, service: str) -> int:
        """SIGKILL to the container's main process from the host: a crash, which the restart policy answers."""
        pid = int(self.inspect(service, "{{.State.Pid}}"))
        os.kill(pid, 9)
        return pid

    def logs(self, tail: int = 60) -> str:
        result = subprocess.run(
            ["docker-compose", "-p", self.project, "--project-directory", str(DOCKER), "-f", str(self.file)]
            + ["logs", "--no-color", f"--tail={tail}"],
            env=self.env,
            text=True,
            capture_output=True,
        )
        return result.stdout[-20000:]

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "10", check=False)
        shutil.rmtree(self._dir, ignore_errors=True)


def dockerd_answers() -> bool:
    if not shutil.which("docker") or not shutil.which("docker-compose"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0
