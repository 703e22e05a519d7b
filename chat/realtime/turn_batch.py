"""Calls made during one turn of the event loop, carried out together at the end of it.

Under load a node accepts many sends in one turn of its loop (one per socket that had a
frame). Work that costs a round trip each, to Redis or to the database, is cheaper done once
for all of them; a call made alone goes out as it would have by itself.
"""

import asyncio
from collections.abc import Awaitable, Callable


class TurnBatch:
    def __init__(self, run: Callable[[list], Awaitable[list]], *, one_at_a_time: bool = False):
        """`run` takes the items of one turn and returns one outcome per item, in order; an
        outcome that is an exception goes to its own caller only.

        one_at_a_time: while a batch runs, calls wait and go together in the next one, so the
        batches grow with the load instead of the round trips in flight. Database reads all
        queue on asgiref's one thread anyway: a burst of handshakes then costs a few large
        queries instead of one small query per loop turn.
        """
        self.run, self.one_at_a_time = run, one_at_a_time
        # Per event loop: a module-level batch may serve several loops (a test's and the server's).
        self.pending: dict[asyncio.AbstractEventLoop, list[tuple[object, asyncio.Future]]] = {}
        self.running: set[asyncio.AbstractEventLoop] = set()  # loops with a one_at_a_time batch out
        self.settling: set[asyncio.Task] = set()  # the loop keeps only weak references to tasks

    def __call__(self, item) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        result = loop.create_future()
        pending = self.pending.get(loop)
        if pending is None:
            pending = self.pending[loop] = []
            if loop not in self.running:
                loop.call_soon(self._flush, loop)  # after every callback that is ready in this turn
        pending.append((item, result))
        return result

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self.pending.pop(loop)
        if self.one_at_a_time:
            self.running.add(loop)
        task = loop.create_task(self._settle(loop, batch))
        self.settling.add(task)
        task.add_done_callback(self.settling.discard)

    async def _settle(self, loop: asyncio.AbstractEventLoop, batch: list) -> None:
        try:
            outcomes = await self.run([item for item, _ in batch])
        except Exception as error:  # the round trip itself failed: every caller hears it
            outcomes = [error] * len(batch)
        finally:
            if self.one_at_a_time:
                self.running.discard(loop)
                if loop in self.pending:  # what came in meanwhile goes next
                    loop.call_soon(self._flush, loop)
        for (_, result), outcome in zip(batch, outcomes, strict=True):
            if result.done():
                continue  # the caller gave up (its connection closed)
            if isinstance(outcome, Exception):
                result.set_exception(outcome)
            else:
                result.set_result(outcome)
