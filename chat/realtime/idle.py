"""Sockets silent for CHAT_IDLE_TIMEOUT_SECONDS are closed with 4408: one sweep per node, not a
timer per socket (ten thousand sleeping tasks cost memory and the loop's time)."""

import asyncio

from django.conf import settings

from chat.realtime import protocol

_sweeper: asyncio.Task | None = None


def ensure_sweeping(connections: set) -> None:
    """Starts the node's sweep over `connections` (each with last_heard and close()) once."""
    global _sweeper
    if _sweeper is None or _sweeper.done():
        _sweeper = asyncio.get_running_loop().create_task(_sweep(connections))


async def _sweep(connections: set) -> None:
    timeout = settings.CHAT_IDLE_TIMEOUT_SECONDS
    loop = asyncio.get_running_loop()
    closing: set[asyncio.Task] = set()
    while True:
        await asyncio.sleep(timeout / 4)
        now = loop.time()
        for connection in list(connections):
            if now - connection.last_heard > timeout:
                connections.discard(connection)  # closed once; its disconnect forgets it for good
                task = loop.create_task(connection.close(protocol.CLOSE_IDLE))
                closing.add(task)
                task.add_done_callback(closing.discard)
