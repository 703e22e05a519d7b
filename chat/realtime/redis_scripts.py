"""Lua scripts run by EVALSHA, the calls of one event-loop turn sent to Redis as one pipeline.

Each chat send runs the send script once; one by one, each would cost a send() and a recv()
system call and a wait for Redis. Every caller gets its own result or error, so one failing
call does not fail the others. Only redis-py's public commands are used: the script's SHA1 is
computed here, and SCRIPT LOAD runs when Redis answers NOSCRIPT (after a restart or a flush).
In a Redis Cluster, redis-py's cluster pipeline sends each call to its slot's shard.

A script whose writes must survive a failover waits for replicas: the pipeline ends with one
WAIT per Redis it wrote to, on the same connection as the writes (WAIT counts that
connection's writes), and a call counts as done only when its Redis confirmed enough replicas.
"""

import hashlib

from redis import exceptions as redis_errors
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import NoScriptError, RedisError

from chat.realtime.turn_batch import TurnBatch

# A shard that failed: its primary died or is being replaced.
SHARD_FAILURES = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.ClusterDownError,
    redis_errors.SlotNotCoveredError,
)


class NotReplicated(RedisError):
    """Redis ran the script but did not confirm it on enough replicas in time: try again."""


class BatchedScript:
    def __init__(self, client, source: str, *, replicas: int = 0, replica_wait_ms: int = 1000):
        """replicas: how many replicas must have a call's writes before it counts as done. The
        client must not retry a pipeline by itself then (chat.realtime.redis_client.async_redis(retry=False)):
        a pipeline sent again on another connection would WAIT for nothing."""
        self.client, self.source = client, source
        self.replicas, self.replica_wait_ms = replicas, replica_wait_ms
        self.sha = hashlib.sha1(source.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA1
        # One pipeline out at a time per loop: calls arriving meanwhile go in the next one, so a
        # node far behind sends bigger pipelines instead of taking every pooled connection.
        self.calls = TurnBatch(self._run, one_at_a_time=True)

    def __call__(self, *, keys: list, args: list):
        return self.calls((keys, args))

    async def _run(self, calls: list[tuple[list, list]]) -> list:
        try:
            outcomes = await self._pipeline(calls)
        except SHARD_FAILURES:
            await self._forget_shards()
            raise
        if any(isinstance(outcome, SHARD_FAILURES) for outcome in outcomes):
            await self._forget_shards()
        missing = [index for index, outcome in enumerate(outcomes) if isinstance(outcome, NoScriptError)]
        if missing:
            await self.client.script_load(self.source)
            for index, outcome in zip(missing, await self._pipeline([calls[i] for i in missing]), strict=True):
                outcomes[index] = outcome
        return outcomes

    async def _forget_shards(self) -> None:
        """After a shard failed, the cluster client finds the shards again on its next call (as
        redis-py's own retry does), instead of sending to a dead primary for ever."""
        if isinstance(self.client, RedisCluster):
            await self.client.aclose()

    async def _pipeline(self, calls: list[tuple[list, list]]) -> list:
        pipeline = self.client.pipeline(transaction=False)
        for keys, args in calls:
            # By name: redis-py's cluster pipeline blocks its evalsha() helper (it cannot know the
            # script is loaded everywhere); NOSCRIPT is handled above.
            pipeline.execute_command("EVALSHA", self.sha, len(keys), *keys, *args)
        if not self.replicas:
            return await pipeline.execute(raise_on_error=False)
        if isinstance(self.client, RedisCluster):
            await self.client.initialize()  # the slot map, before a call is matched to its shard
        servers = [self._server(keys) for keys, _ in calls]
        waited = {server: node for server, node in ((self._name(node), node) for node in servers)}
        for node in waited.values():
            options = {} if node is None else {"target_nodes": node}
            pipeline.execute_command("WAIT", self.replicas, self.replica_wait_ms, **options)
        outcomes = await pipeline.execute(raise_on_error=False)
        confirmed = dict(zip(waited, outcomes[len(calls) :], strict=True))
        return [
            self._confirmed(outcome, confirmed[self._name(node)], node, keys)
            for (keys, _), node, outcome in zip(calls, servers, outcomes, strict=False)
        ]

    def _server(self, keys: list):
        """The cluster node of the call's slot (None for one Redis): where its writes go."""
        return self.client.get_node_from_key(keys[0]) if isinstance(self.client, RedisCluster) else None

    @staticmethod
    def _name(node) -> str | None:
        return None if node is None else node.name

    def _confirmed(self, outcome, replicas, node, keys: list):
        if isinstance(outcome, Exception):
            return outcome
        if isinstance(replicas, Exception) or replicas < self.replicas:
            return NotReplicated(f"Redis confirmed the writes on {replicas!r} replicas, not {self.replicas}")
        if node is not None and self._server(keys).name != node.name:
            # The slot moved while the pipeline ran: the call was redirected to another
            # connection, which this pipeline's WAIT does not cover.
            return NotReplicated("the channel's slot moved during the send")
        return outcome


_shared: dict[tuple[int, str], BatchedScript] = {}  # per Redis client (clients are per event loop)


def shared_script(client, source: str) -> BatchedScript:
    """The one BatchedScript of this source on this client: every caller's calls of a loop turn
    then go out in one pipeline."""
    script = _shared.get((id(client), source))
    if script is None:
        script = _shared[(id(client), source)] = BatchedScript(client, source)
    return script
