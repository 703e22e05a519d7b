"""A plain WebSocket client for trying the protocol by hand (docs/websocket.md).

    .venv/bin/python docs/ws_client.py ws://127.0.0.1:8000/ws/ <access token>

Type one JSON frame per line; every frame the server sends is printed as it comes.
"""

import sys
import threading
import time

from websockets.sync.client import connect


def main(url: str, token: str) -> None:
    with connect(url, additional_headers={"Authorization": f"Bearer {token}"}) as socket:

        def print_frames() -> None:
            for frame in socket:
                print("<", frame, flush=True)

        threading.Thread(target=print_frames, daemon=True).start()
        for line in sys.stdin:
            if line.strip():
                print(">", line.strip(), flush=True)
                socket.send(line.strip())
        time.sleep(1)  # the answers to the last frames, before closing


if __name__ == "__main__":
    main(*sys.argv[1:3])
