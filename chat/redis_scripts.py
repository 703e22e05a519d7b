"""Lua scripts run by EVALSHA, the calls of one event-loop turn sent to Redis as one pipeline.

Each chat send runs the send script once; one by one, each would cost a send() and a recv()
system call and a wait for Redis. Every caller gets its own result or error, so one failing
call does not fail the others. Only redis-py's public commands are used: the script's SHA1 is
computed here, and SCRIPT LOAD runs when Redis answers NOSCRIPT (after a restart or a flush).
"""

import hashlib

from redis.exceptions import NoScriptError

from chat.turn_batch import TurnBatch


class BatchedScript:
    def __init__(self, client, source: str):
        self.client, self.source = client, source
        self.sha = hashlib.sha1(source.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA1
        # One pipeline out at a time per loop: calls arriving meanwhile go in the next one, so a
        # node far behind sends bigger pipelines instead of taking every pooled connection.
        self.calls = TurnBatch(self._run, one_at_a_time=True)

    def __call__(self, *, keys: list, args: list):
        return self.calls((keys, args))

    async def _run(self, calls: list[tuple[list, list]]) -> list:
        outcomes = await self._pipeline(calls)
        missing = [index for index, outcome in enumerate(outcomes) if isinstance(outcome, NoScriptError)]
        if missing:
            await self.client.script_load(self.source)
            for index, outcome in zip(missing, await self._pipeline([calls[i] for i in missing]), strict=True):
                outcomes[index] = outcome
        return outcomes

    async def _pipeline(self, calls: list[tuple[list, list]]) -> list:
        pipeline = self.client.pipeline(transaction=False)
        for keys, args in calls:
            pipeline.evalsha(self.sha, len(keys), *keys, *args)
        return await pipeline.execute(raise_on_error=False)
