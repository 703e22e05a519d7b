"""The balancer of the local topology: docker/nginx.conf rendered by ops.nginx, as a test process."""

from chat.tests.live import ROOT, ListeningProcess, free_port
from ops import nginx


class Balancer(ListeningProcess):
    health_path = "/readyz"  # answered by a node behind it: the whole path works

    def __init__(self, env: dict, upstream_ports: list[int], name: str = "nginx"):
        self.port = free_port()
        config = nginx.render(listen_port=self.port, upstream_ports=upstream_ports, workdir=ROOT / "var" / name)
        super().__init__(nginx.command(config), env, name)
        self.wait_healthy()
