"""Calls made during one turn of the event loop, carried out together at the end of it.

Under load a node accepts many sends in one turn of its loop (one per socket that had a
frame). Work that costs a round trip each, to Redis or to the database, is cheaper done once
for all of them; a call made alone goes out as it would have by itself.
"""

import asyncio
from collections.abc import Awaitable, Callable


class TurnBatch:
    def __init__(self, run: Callable[[list], Awaitable[list]]):
        """`run` takes the items of one turn and returns one outcome per item, in order; an
        outcome that is an exception goes to its own caller only."""
        self.run = run
        self.pending: list[tuple[object, asyncio.Future]] = []
        self.settling: set[asyncio.Task] = set()  # the loop keeps only weak references to tasks

    def __call__(self, item) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        result = loop.create_future()
        if not self.pending:
            loop.call_soon(self._flush)  # after every callback that is ready in this turn
        self.pending.append((item, result))
        return result

    def _flush(self) -> None:
        batch, self.pending = self.pending, []
        task = asyncio.get_running_loop().create_task(self._settle(batch))
        self.settling.add(task)
        task.add_done_callback(self.settling.discard)

    async def _settle(self, batch: list) -> None:
        try:
            outcomes = await self.run([item for item, _ in batch])
        except Exception as error:  # the round trip itself failed: every caller hears it
            outcomes = [error] * len(batch)
        for (_, result), outcome in zip(batch, outcomes, strict=True):
            if result.done():
                continue  # the caller gave up (its connection closed)
            if isinstance(outcome, Exception):
                result.set_exception(outcome)
            else:
                result.set_result(outcome)
