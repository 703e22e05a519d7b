"""The ASGI floor: the reference protocol as a bare ASGI application on granian, one process.

    python -m bench.reference_asgi --port 9100

The same rooms as the bare websockets server (bench/reference_rooms.py), served the way the
product serves /ws/: granian embedded in a uvloop, every frame handed to ASGI `send` and awaited
through the product's own outbox (chat/realtime/outbox.py). No Django, no Channels, no Redis: what
is left between this server and the bare one is the cost of ASGI on granian per frame, which no
consumer built on it can go below.
"""

import uvloop

from bench.reference_rooms import Rooms, run_server
from chat.realtime.outbox import Outbound, Outbox

UNBOUNDED = 2**40  # the bare server does not bound what a connection has unsent either


def broadcast(outboxes, text: str) -> None:
    frame = Outbound(text)
    for outbox in outboxes:
        outbox.put(frame)


rooms = Rooms(broadcast)


async def application(scope, receive, send) -> None:
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    outbox = Outbox(send, limit_bytes=UNBOUNDED, on_overflow=lambda: None)
    joined: list[int] = []
    try:
        while (message := await receive())["type"] == "websocket.receive":
            reply = rooms.handle(outbox, message.get("text") or message.get("bytes"), joined)
            if reply is not None:
                outbox.put(Outbound(reply))
    finally:
        rooms.leave(outbox, joined)
        outbox.close()


async def serve(host: str, port: int) -> None:
    from granian.constants import Interfaces
    from granian.server.embed import Server

    await Server(application, address=host, port=port, interface=Interfaces.ASGINL, log_enabled=False).serve()


def main() -> None:
    run_server(__doc__.split("\n\n")[0], serve, uvloop.run)


if __name__ == "__main__":
    main()
