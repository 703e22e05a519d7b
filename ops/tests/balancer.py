"""The balancer of the local topology: docker/nginx.conf rendered by ops.nginx, as a test process."""

import time
import urllib.request

from chat.tests.live import ROOT, Process, free_port
from ops import nginx


class Balancer(Process):
    def __init__(self, env: dict, upstream_ports: list[int], name: str = "nginx"):
        self.port = free_port()
        config = nginx.render(listen_port=self.port, upstream_ports=upstream_ports, workdir=ROOT / "var" / name)
        super().__init__(nginx.command(config), env, name)
        self.wait_ready()

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.http_url}/readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the balancer on {self.port} did not answer; see {self.log_path}")
