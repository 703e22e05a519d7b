"""docker/ cannot run here (no Docker): its files are parsed, linted and checked for the topology."""

import ipaddress
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ops import nginx
from ops.tests.deployment_files import DOCKER, alert_rules, compose, dashboards, metric_names

VENV_BIN = Path(sys.executable).parent
LONG_RUNNING_WITHOUT_CHECK: set[str] = set()  # every long-running service has a health check


def _command(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def _services_running(text: str) -> list[str]:
    return sorted(name for name, service in compose()["services"].items() if text in _command(service))


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(VENV_BIN))
    assert found, f"{name} is not installed: bin/ensure-services installs it"
    return found


def test_dockerfile_passes_hadolint():
    result = subprocess.run([_tool("hadolint"), str(DOCKER / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_multi_stage_pinned_and_runs_as_a_non_root_user():
    text = (DOCKER / "Dockerfile").read_text()
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.M).group(1)
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base)
    assert len(re.findall(r"^FROM ", text, re.M)) == 2
    assert re.findall(r"^USER (\S+)$", text, re.M) == ["10001:10001"]
    assert "COPY --from=build /opt/venv /opt/venv" in text
    assert re.search(r'^CMD \["python", "-m", "chat.realtime.server"', text, re.M)


def test_compose_runs_the_production_topology():
    services = compose()["services"]
    web_nodes = _services_running("chat.realtime.server")
    assert len(web_nodes) >= 2
    assert _services_running("celery -A config worker") == ["worker"]
    beats = _services_running("celery -A config beat")
    assert beats == ["beat"] and services["beat"]["deploy"]["replicas"] == 1
    assert not [name for name in services if "--beat" in _command(services[name])]  # no worker runs beat too
    for backing in ("postgres", "redis", "mongo", "prometheus", "grafana", "nginx"):
        assert backing in services
    for name in web_nodes:
        env = services[name]["environment"]
        assert env["REDIS_URL"].startswith("redis://redis:") and env["MONGO_URL"].startswith("mongodb://mongo:")
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_every_long_running_service_has_a_health_check_and_pinned_image():
    services = compose()["services"]
    for name, service in services.items():
        if name == "migrate":
            continue  # a one-shot job
        assert "test" in service.get("healthcheck", {}), name
        image = service["image"]
        assert image == "messenger-app:local" or re.search(r":v?\d+(\.\d+)+", image), f"{name}: unpinned {image}"


def test_named_volumes_hold_every_stateful_service():
    spec = compose()
    declared = set(spec["volumes"])
    for name, mount in (
        ("postgres", "/var/lib/postgresql/data"),
        ("redis", "/data"),
        ("mongo", "/data/db"),
        ("prometheus", "/prometheus"),
        ("grafana", "/var/lib/grafana"),
    ):
        volumes = dict(v.split(":")[:2][::-1] for v in spec["services"][name]["volumes"])
        assert volumes[mount] in declared, name


def test_fixed_addresses_are_never_handed_to_another_container():
    """nginx's and Prometheus's addresses lie outside the range Docker allocates from: with the
    cluster profile's many containers, one started first took nginx's address (found by
    bin/test-deployment: "Address already in use")."""
    spec = compose()
    (pool,) = spec["networks"]["default"]["ipam"]["config"]
    subnet, dynamic = ipaddress.ip_network(pool["subnet"]), ipaddress.ip_network(pool["ip_range"])
    fixed = {
        name: ipaddress.ip_address(service["networks"]["default"]["ipv4_address"])
        for name, service in spec["services"].items()
        if "ipv4_address" in (service.get("networks") or {}).get("default", {})
    }
    assert sorted(fixed) == ["nginx", "prometheus"]
    assert all(address in subnet and address not in dynamic for address in fixed.values()), fixed


def test_web_nodes_get_time_to_drain_before_sigkill():
    services = compose()["services"]
    for name in _services_running("chat.realtime.server"):
        grace = int(services[name]["stop_grace_period"].rstrip("s"))
        assert services[name]["stop_signal"] == "SIGTERM"
        assert grace > float(services[name]["environment"]["DRAIN_TIMEOUT_SECONDS"]) + 5


def test_balancer_and_prometheus_know_every_web_node():
    web_nodes = _services_running("chat.realtime.server")
    nginx_conf = (DOCKER / "nginx.conf").read_text()
    upstreams = re.findall(r"^\s*server (\S+?):8000\b", nginx_conf, re.M)
    assert sorted(upstreams) == web_nodes
    prometheus = yaml.safe_load((DOCKER / "prometheus" / "prometheus.yml").read_text())
    web_job = next(job for job in prometheus["scrape_configs"] if job["job_name"] == "web")
    assert sorted(t.split(":")[0] for t in web_job["static_configs"][0]["targets"]) == web_nodes


def test_nginx_config_passes_nginx_t_and_upgrades_websockets(tmp_path):
    config = nginx.render(listen_port=18080, upstream_ports=[18081, 18082], workdir=tmp_path)
    result = nginx.check(config)
    assert result.returncode == 0, result.stderr
    ws = re.search(r"location /ws/ \{(.*?)\n        \}", (DOCKER / "nginx.conf").read_text(), re.S).group(1)
    assert "proxy_set_header Upgrade $http_upgrade;" in ws
    assert "proxy_set_header Connection $connection_upgrade;" in ws
    assert re.search(r"proxy_next_upstream .*\bhttp_403\b", ws)  # a draining node's refusal goes to the next node


def test_prometheus_config_and_rules_pass_promtool():
    promtool = _tool("promtool")
    for args in (["check", "config"], ["check", "rules"]):
        target = DOCKER / "prometheus" / ("prometheus.yml" if args[1] == "config" else "alerts.yml")
        result = subprocess.run([promtool, *args, str(target)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_fire_on_the_failures_they_name():
    promtool = _tool("promtool")
    result = subprocess.run(
        [promtool, "test", "rules", str(DOCKER / "prometheus" / "alerts.test.yml")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_alerts_cover_the_issue():
    names = {rule["alert"] for rule in alert_rules()}
    assert {
        "WebNodeDown",
        "DeliveryLatencyP99High",
        "PersistenceBacklogGrowing",
        "HTTPServerErrors",
        "LedgerCheckFailing",
    } <= names


def test_grafana_provisions_the_datasource_and_dashboard_the_compose_file_mounts():
    services = compose()["services"]
    mounts = dict(v.split(":")[:2] for v in services["grafana"]["volumes"])
    datasource = yaml.safe_load((DOCKER / "grafana/provisioning/datasources/prometheus.yml").read_text())[
        "datasources"
    ][0]
    provider = yaml.safe_load((DOCKER / "grafana/provisioning/dashboards/messenger.yml").read_text())["providers"][0]
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    assert datasource["url"] == "http://prometheus:9090"
    for board in dashboards():
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids))
        for panel in board["panels"]:
            assert panel["targets"], panel["title"]
            for target in [panel, *panel["targets"]]:
                assert target["datasource"]["uid"] == datasource["uid"]


@pytest.mark.parametrize(
    "wanted",
    [
        "chat_connections_open",
        "chat_messages_in_total",
        "chat_frames_out_total",
        "chat_delivery_latency_seconds_bucket",
        "chat_persist_stream_length",
        "wallet_transfers_total",
        "django_http_requests_latency_seconds_by_view_method_bucket",
        "django_http_responses_total_by_status_view_method_total",
        "celery_queue_length",
    ],
)
def test_dashboard_shows_what_the_issue_asks_for(wanted):
    queries = [t["expr"] for b in dashboards() for p in b["panels"] for t in p["targets"]]
    assert any(wanted in metric_names(query) for query in queries)


def _cluster_profile() -> dict:
    return yaml.safe_load((DOCKER / "compose.cluster.yaml").read_text())


def test_cluster_profile_runs_a_redis_cluster_with_a_replica_per_primary():
    services = _cluster_profile()["services"]
    nodes = sorted(name for name, service in services.items() if "--cluster-enabled yes" in _command(service))
    assert len(nodes) == 6
    for name in nodes:
        assert "--appendonly yes --appendfsync always" in _command(services[name]), name
    create = _command(services["redis-cluster-init"])
    assert "--cluster-replicas 1" in create and all(f"{name}:6379" in create for name in nodes)
    for name in ("web1", "web2", "worker", "beat", "migrate"):
        env = services[name]["environment"]
        assert sorted(node.split(":")[0] for node in env["REDIS_CLUSTER_NODES"].split(",")) == nodes
        assert services[name]["depends_on"]["redis-cluster-init"] == {"condition": "service_completed_successfully"}


def test_cluster_profile_shards_the_message_store_behind_mongos():
    services = _cluster_profile()["services"]
    assert "--configsvr" in _command(services["mongo-config"])
    shards = sorted(name for name, service in services.items() if "--shardsvr" in _command(service))
    assert len(shards) == 2
    assert "--configdb config/mongo-config:27018" in _command(services["mongos"])
    joined = _command(services["mongo-init"])
    assert all(f"{name}:27018" in joined for name in shards) and joined.count("sh.addShard(") == 2
    assert _command(services["store-shard"]) == "python manage.py shard_message_store"
    for name in ("web1", "web2", "worker", "beat", "migrate"):
        env = services[name]["environment"]
        assert env["MONGO_URL"] == "mongodb://mongos:27017" and env["MONGO_SHARDED"] == "1"
        assert services[name]["depends_on"]["store-shard"] == {"condition": "service_completed_successfully"}


def test_cluster_profile_services_have_health_checks_pinned_images_and_volumes():
    spec = _cluster_profile()
    for name, service in spec["services"].items():
        if "image" not in service:
            continue  # a service of compose.yaml that the profile only reconfigures
        image = service["image"]
        assert image == "messenger-app:local" or re.search(r":v?\d+(\.\d+)+", image), f"{name}: unpinned {image}"
        if service.get("restart") != "no":  # one-shot jobs end; everything else is checked
            assert "test" in service.get("healthcheck", {}), name
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in spec["volumes"], name
