"""compose.cluster.yaml's Redis Cluster part in containers (six nodes made a cluster by
redis-cluster-init) under the main profile, with the chat flow through nginx on 127.0.0.1."""

import asyncio

import pytest

from ops.deployment import Deployment
from ops.deployment_tests import flows

pytestmark = pytest.mark.timeout(1500)  # async tests run as such: asyncio_mode = "auto"

REDIS_NODES = [f"redis-{n}" for n in range(1, 7)]


@pytest.fixture(scope="module")
def deployment(images):
    deployment = Deployment("cluster")
    try:
        deployment.up()
        yield deployment
    finally:
        deployment.down()


def _info(deployment, node: str, *command: str) -> dict:
    text = deployment.exec(node, "redis-cli", *command)
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#"))


async def test_members_chat_across_both_web_nodes_on_the_redis_cluster(deployment):
    cluster = _info(deployment, "redis-1", "cluster", "info")
    assert (cluster["cluster_state"].strip(), cluster["cluster_known_nodes"].strip()) == ("ok", "6")
    keys_before = sum(int(deployment.exec(node, "redis-cli", "dbsize")) for node in REDIS_NODES)

    club = flows.rooms(flows.sign_up(deployment.base_url, "c", 6), per_room=3)
    talkers = flows.clients(deployment.ws_url, club)
    tasks = [asyncio.create_task(c.run()) for c in talkers]
    try:
        await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in talkers)), 60)
        open_by_node = {node: deployment.node_metric(node, "chat_connections_open") for node in ("web1", "web2")}
        assert all(open_by_node.values()) and sum(open_by_node.values()) == len(talkers), open_by_node
        talk = flows.Talk(talkers)
        await asyncio.sleep(5)
        await talk.stop()
        await flows.settle(talkers)
    finally:
        for client in talkers:
            await client.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
    for channel_id, members in club:
        assert len(flows.acks_of(talkers, channel_id)) >= 3 * 5
        flows.assert_nothing_lost(talkers, members[0], channel_id)
    # The rooms' realtime state (seq counters, tails, streams) went to the cluster's nodes.
    assert sum(int(deployment.exec(node, "redis-cli", "dbsize")) for node in REDIS_NODES) > keys_before
