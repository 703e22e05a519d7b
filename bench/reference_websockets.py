"""The ceiling: a bare `websockets` server, one process, fan-out with websockets.broadcast.

    python -m bench.reference_websockets --port 9100

It speaks just enough of docs/api.md "WebSocket" for the load tool (bench/reference_rooms.py:
subscribe, send -> ack and a `message` to every subscriber of the channel, ping) and nothing
else: no accounts, no membership checks, no persistence. It is what Python can do here with no
framework at all, the ceiling the product is compared with.
"""

import asyncio

from websockets.asyncio.server import broadcast, serve
from websockets.exceptions import ConnectionClosed

from bench.reference_rooms import Rooms, run_server

rooms = Rooms(broadcast)


async def handle(connection) -> None:
    joined: list[int] = []
    try:
        async for raw in connection:
            reply = rooms.handle(connection, raw, joined)
            if reply is not None:
                await connection.send(reply)
    except ConnectionClosed:
        pass
    finally:
        rooms.leave(connection, joined)


async def serve_forever(host: str, port: int) -> None:
    async with serve(handle, host, port, compression=None, max_size=2**16, max_queue=None):
        await asyncio.get_running_loop().create_future()


def main() -> None:
    run_server(__doc__.split("\n\n")[0], serve_forever, asyncio.run)


if __name__ == "__main__":
    main()
