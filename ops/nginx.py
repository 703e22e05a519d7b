"""Runs docker/nginx.conf on this machine: the same balancer, local upstreams and paths.

The marked blocks of the file (upstream servers, listen address) are replaced, and the
file paths the image provides (pid, logs, temp folders) move under one local folder.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "docker" / "nginx.conf"
NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx")


def nginx_binary() -> str:
    for candidate in NGINX_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise FileNotFoundError("nginx is not installed (bin/ensure-tools installs it with apt-get)")


def _replace_block(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(?m)^(\s*)# {name}:begin\n.*?^\s*# {name}:end\n", re.S)
    if not pattern.search(text):
        raise ValueError(f"docker/nginx.conf lost its '# {name}:begin' / '# {name}:end' markers")
    return pattern.sub(lambda m: "".join(f"{m.group(1)}{line}\n" for line in body.splitlines()), text, count=1)


def render(*, listen_port: int, upstream_ports: list[int], workdir: Path) -> Path:
    """Writes workdir/nginx.conf for a balancer on 127.0.0.1:listen_port; returns its path."""
    workdir.mkdir(parents=True, exist_ok=True)
    text = SOURCE.read_text()
    servers = "\n".join(f"server 127.0.0.1:{port} max_fails=2 fail_timeout=5s;" for port in upstream_ports)
    text = _replace_block(text, "upstream-servers", servers)
    text = _replace_block(text, "listen", f"listen 127.0.0.1:{listen_port};")
    text = text.replace("worker_processes auto;", "worker_processes 1;")
    text = text.replace("access_log /dev/stdout json;", f"access_log {workdir / 'access.log'} json;")
    temp_paths = "".join(
        f"    {directive} {workdir / 'tmp' / name};\n"
        for directive, name in (
            ("client_body_temp_path", "body"),
            ("proxy_temp_path", "proxy"),
            ("fastcgi_temp_path", "fastcgi"),
            ("uwsgi_temp_path", "uwsgi"),
            ("scgi_temp_path", "scgi"),
        )
    )
    text = text.replace("http {\n", "http {\n" + temp_paths, 1)
    if os.geteuid() == 0:
        text = "user root;\n" + text  # else the workers become "nobody" and cannot use the folder
    (workdir / "tmp").mkdir(exist_ok=True)
    path = workdir / "nginx.conf"
    path.write_text(text)
    return path


def command(config: Path) -> list[str]:
    """nginx in the foreground with its pid and error log beside the config."""
    workdir = config.parent
    directives = f"daemon off; pid {workdir / 'nginx.pid'}; error_log {workdir / 'error.log'} warn;"
    return [nginx_binary(), "-p", str(workdir), "-c", str(config), "-g", directives]


def check(config: Path) -> subprocess.CompletedProcess:
    """nginx -t on a rendered file."""
    workdir = config.parent
    directives = f"pid {workdir / 'nginx.pid'}; error_log {workdir / 'error.log'} warn;"
    return subprocess.run(
        [nginx_binary(), "-t", "-p", str(workdir), "-c", str(config), "-g", directives],
        capture_output=True,
        text=True,
        check=False,
    )
