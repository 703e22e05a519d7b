"""A Redis script whose calls of one event-loop turn go to Redis as one pipeline.

Each chat send runs the send script once; sent one by one, each costs a send() and a recv()
system call and a wait for Redis, which was a fifth of a loaded node in the profile
(bench/NOTES.md). Every caller gets its own result or error, so one failing send (NOSEQ)
does not fail the others.
"""

from redis.exceptions import NoScriptError, ResponseError

from chat.turn_batch import TurnBatch


class ScriptBatcher:
    def __init__(self, script):
        self.script = script  # a redis-py AsyncScript registered on the loop's client
        # One pipeline out at a time per loop: sends arriving meanwhile go in the next one. A node
        # far behind (the bench's 5,000 msg/s) otherwise sent a pipeline every loop turn, each on
        # its own connection, until the pool's 200 were all waiting for replies the loop had not
        # read yet, and sends failed with "No connection available".
        self.calls = TurnBatch(self._run, one_at_a_time=True)

    def __call__(self, *, keys: list, args: list):
        return self.calls((keys, args))

    async def _run(self, calls: list[tuple[list, list]]) -> list:
        if len(calls) == 1:
            keys, args = calls[0]
            return [await self.script(keys=keys, args=args)]
        pipeline = self.script.registered_client.pipeline(transaction=False)
        for keys, args in calls:
            # EVALSHA straight in the pipeline: a script added with script(client=pipeline) costs a
            # SCRIPT EXISTS round trip on every execute.
            pipeline.evalsha(self.script.sha, len(keys), *keys, *args)
        outcomes = await pipeline.execute(raise_on_error=False)
        for index, outcome in enumerate(outcomes):
            if isinstance(outcome, NoScriptError):  # Redis restarted or flushed its scripts
                keys, args = calls[index]
                try:
                    outcomes[index] = await self.script(keys=keys, args=args)  # loads it again
                except ResponseError as error:
                    outcomes[index] = error
        return outcomes
