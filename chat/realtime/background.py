"""Tasks a realtime object starts beside its work (a room's gap fill, a replay, a presence note)."""

import asyncio
from collections.abc import Coroutine


def spawn(tasks: set[asyncio.Task], coroutine: Coroutine) -> asyncio.Task:
    """Runs the coroutine as a task held in `tasks` until it ends: the event loop keeps only weak
    references to tasks, so one nobody holds could be collected mid-run."""
    task = asyncio.get_running_loop().create_task(coroutine)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return task
