"""compose.yaml's main profile in containers (nginx, web1, web2, worker, beat, PostgreSQL, Redis,
Prometheus), used only through nginx's port on 127.0.0.1, as a club would use it."""

import asyncio
import hashlib
import io
import time

import httpx
import pytest
import yaml
from PIL import Image

from ops.deployment import DOCKER, Deployment
from ops.deployment_tests import flows
from ops.tests.scrape import wait_until

pytestmark = pytest.mark.timeout(1500)  # async tests run as such: asyncio_mode = "auto"

WEB_NODES = ["web1", "web2"]


@pytest.fixture(scope="module")
def deployment(images):
    deployment = Deployment("main")
    try:
        deployment.up()
        yield deployment
    finally:
        deployment.down()


@pytest.fixture(scope="module")
def club(deployment):
    """Six members in two rooms, signed up and signed in through nginx."""
    users = flows.sign_up(deployment.base_url, "m", 6)
    return flows.rooms(users, per_room=3)


async def _connected(deployment, talkers):
    tasks = [asyncio.create_task(c.run()) for c in talkers]
    await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in talkers)), 60)
    return tasks


async def _stop(talkers, tasks):
    for client in talkers:
        await client.stop()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_members_chat_across_both_web_nodes_and_pay_dues(deployment, club):
    talkers = flows.clients(deployment.ws_url, club)
    tasks = await _connected(deployment, talkers)
    try:
        open_by_node = {node: deployment.node_metric(node, "chat_connections_open") for node in WEB_NODES}
        assert all(open_by_node.values()) and sum(open_by_node.values()) == len(talkers), open_by_node
        for client in talkers:
            await client.send_next()
        await flows.settle(talkers)

        # Dues: the treasurer asks, a member pays from a personal wallet; the room hears of it.
        channel_id, (treasurer, member, third) = club[0]
        for user in (treasurer, member):
            user.wallet_id = user.post("/api/wallets", {"pin": flows.PIN}, status=201)["id"]
        member.post(f"/api/wallets/{member.wallet_id}/deposit", {"amount": 30_000}, **{"Idempotency-Key": "d-1"})
        group = treasurer.post(f"/api/channels/{channel_id}/group-wallets", {"name": "club fund"}, status=201)
        member.post(f"/api/wallets/{group['id']}/join")
        dues = treasurer.post(f"/api/wallets/{group['id']}/dues", {"title": "March", "amount": 12_000}, status=201)
        paid = member.post(f"/api/dues/{dues['id']}/pay", {"pin": flows.PIN}, status=201)
        assert (paid["amount"], paid["to_wallet"]) == (12_000, group["id"])
        assert member.get(f"/api/wallets/{member.wallet_id}")["balance"] == 18_000
        assert treasurer.get(f"/api/wallets/{group['id']}")["balance"] == 12_000
        seen = treasurer.get(f"/api/dues/{dues['id']}")
        # Dues ask every member of the channel, whether or not they joined the group wallet.
        asked = {m["user"]["id"]: m["paid"] for m in seen["members"]}
        assert asked == {treasurer.id: False, member.id: True, third.id: False}
        # The announcement reaches the room live (the worker posts it), on whichever node each member is.
        room = [c for c in talkers if c.channel_id == channel_id]
        await wait_until(
            lambda: all(any(seq not in flows.acks_of(talkers, channel_id) for seq in c.seqs_received) for c in room),
            timeout=60,
            what="the dues announcement in the room",
        )
    finally:
        await _stop(talkers, tasks)
    for channel_id, members in club:
        flows.assert_nothing_lost(talkers, members[0], channel_id)


def _phone_photo() -> bytes:
    """Over nginx's default 1 MB body limit (noise does not compress), with a camera's EXIF and GPS."""
    image = Image.effect_noise((2000, 1500), 90).convert("RGB")
    tags = Image.Exif()
    tags[0x010F] = "PhoneMaker"
    tags.get_ifd(0x8825).update({1: "N", 2: (37.0, 33.0, 58.0), 3: "E", 4: (126.0, 58.0, 40.0)})
    data = io.BytesIO()
    image.save(data, format="JPEG", quality=95, exif=tags.tobytes())
    return data.getvalue()


def _served_by_node(deployment, node: str, path: str, token: str) -> str:
    """The photo as this web node serves it (read inside its container): the node's own copy of the volume."""
    script = (
        "import hashlib, urllib.request\n"
        f"request = urllib.request.Request('http://127.0.0.1:8000{path}', headers={{'Authorization': 'Bearer {token}'}})\n"
        "print(hashlib.sha256(urllib.request.urlopen(request, timeout=10).read()).hexdigest())\n"
    )
    return deployment.exec(node, "python", "-c", script).strip()


async def test_a_photo_sent_through_nginx_is_served_by_every_node_with_the_thumbnail_the_worker_made(deployment, club):
    (_, (outsider, *_)), (channel_id, (sender, reader, _third)) = club
    photo = _phone_photo()
    assert len(photo) > 2**20
    uploaded = sender.http.post(
        f"/api/channels/{channel_id}/attachments", files={"file": ("IMG_0001.jpg", photo, "image/jpeg")}
    )
    assert uploaded.status_code == 201, uploaded.text
    attachment = uploaded.json()
    assert (attachment["width"], attachment["height"]) == (2000, 1500)
    sender.post(
        f"/api/channels/{channel_id}/messages", {"body": "정상에서", "attachments": [attachment["id"]]}, status=201
    )
    shown = [m for m in reader.history(channel_id) if m.get("attachments")]
    assert [a["id"] for m in shown for a in m["attachments"]] == [attachment["id"]]

    through_nginx = reader.http.get(attachment["url"])
    assert through_nginx.status_code == 200
    with Image.open(io.BytesIO(through_nginx.content)) as stored:
        assert stored.size == (2000, 1500)
        assert dict(stored.getexif()) == {}  # no camera, no position
    digest = hashlib.sha256(through_nginx.content).hexdigest()
    # One volume for every node: each web node serves the same file, whichever took the upload.
    assert {node: _served_by_node(deployment, node, attachment["url"], reader.token) for node in WEB_NODES} == {
        node: digest for node in WEB_NODES
    }

    def thumbnail_size():
        response = reader.http.get(attachment["thumbnail_url"])
        assert response.status_code == 200, response.text
        with Image.open(io.BytesIO(response.content)) as image:
            return image.size if max(image.size) <= 480 else None  # the photo itself until the worker made it

    await wait_until(thumbnail_size, timeout=60, what="the worker's thumbnail")
    assert thumbnail_size() == (480, 360)
    assert outsider.http.get(attachment["url"]).status_code == 403  # not a member of the channel
    assert outsider.http.get(attachment["thumbnail_url"]).status_code == 403


async def test_a_rolling_restart_of_the_web_nodes_keeps_every_client_and_message(deployment, club):
    talkers = flows.clients(deployment.ws_url, club)
    tasks = await _connected(deployment, talkers)
    try:
        talk = flows.Talk(talkers)
        for node in WEB_NODES:
            started = deployment.inspect(node, "{{.State.StartedAt}}")
            # compose stop: SIGTERM, the node drains (reconnect frames), then start it again.
            await asyncio.to_thread(deployment.compose, "stop", node)
            await asyncio.to_thread(deployment.compose, "start", node)
            await asyncio.to_thread(deployment.wait_healthy, [node])
            assert deployment.inspect(node, "{{.State.StartedAt}}") != started
            await asyncio.sleep(2)  # traffic on the restarted node
        await talk.stop()
        await flows.settle(talkers)
    finally:
        await _stop(talkers, tasks)
    for channel_id, members in club:
        flows.assert_nothing_lost(talkers, members[0], channel_id)
    for client in talkers:
        assert client.connections >= 2 and client.reconnect_frames, client.name
        assert {f["reason"] for f in client.reconnect_frames} == {"server_draining"}


async def test_a_web_node_killed_under_traffic_loses_no_acknowledged_message(deployment, club):
    talkers = flows.clients(deployment.ws_url, club)
    tasks = await _connected(deployment, talkers)
    try:
        talk = flows.Talk(talkers)
        await asyncio.sleep(2)
        on_web2 = deployment.node_metric("web2", "chat_connections_open")
        restarts = int(deployment.inspect("web2", "{{.RestartCount}}"))
        deployment.kill_9("web2")
        await asyncio.sleep(3)  # traffic while web2 is gone: nginx sends everyone to web1
        await asyncio.to_thread(deployment.wait_healthy, ["web2"])  # restart: unless-stopped brings it back
        assert int(deployment.inspect("web2", "{{.RestartCount}}")) == restarts + 1
        await asyncio.sleep(2)
        await talk.stop()
        await flows.settle(talkers)
    finally:
        await _stop(talkers, tasks)
    assert on_web2 > 0
    dropped = [c for c in talkers if 1006 in c.close_codes]
    assert len(dropped) == on_web2  # the clients on the killed node lost their socket and came back
    assert all(c.connections >= 2 for c in dropped)
    for channel_id, members in club:
        flows.assert_nothing_lost(talkers, members[0], channel_id)


def test_prometheus_scrapes_every_node_and_loads_the_alert_rules(deployment):
    prometheus = httpx.Client(base_url=deployment.prometheus_url, timeout=10)
    deadline = time.monotonic() + 90
    while True:
        targets = prometheus.get("/api/v1/targets").json()["data"]["activeTargets"]
        health = {(t["labels"]["job"], t["labels"]["instance"]): t["health"] for t in targets}
        if all(state == "up" for state in health.values()) and len(health) >= 4:
            break
        assert time.monotonic() < deadline, health
        time.sleep(2)
    jobs = sorted(job for job, _ in health)
    assert jobs == ["celery", "prometheus", "web", "web"], health
    assert sorted(i for job, i in health if job == "web") == ["web1:8000", "web2:8000"]
    loaded = prometheus.get("/api/v1/rules").json()["data"]["groups"]
    written = yaml.safe_load((DOCKER / "prometheus" / "alerts.yml").read_text())["groups"]
    assert sorted(g["name"] for g in loaded) == sorted(g["name"] for g in written)
    assert sum(len(g["rules"]) for g in loaded) == sum(len(g["rules"]) for g in written)
    up = prometheus.get("/api/v1/query", params={"query": "up"}).json()["data"]["result"]
    assert {r["metric"]["instance"]: r["value"][1] for r in up if r["metric"]["job"] == "web"} == {
        "web1:8000": "1",
        "web2:8000": "1",
    }


def test_the_app_containers_run_without_root(deployment):
    # The image's USER: a web node, the worker and beat all run as 10001, never as root.
    assert {service: deployment.exec(service, "id", "-u").strip() for service in [*WEB_NODES, "worker", "beat"]} == {
        service: "10001" for service in [*WEB_NODES, "worker", "beat"]
    }
