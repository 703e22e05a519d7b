"""What a web node does with the two attacks on its memory and its close codes (issue 28), per server.

- A signed-in user sends a 40 MB message in 1 MB fragments: is it refused before the node holds it
  whole (the node's RSS growth while it arrives), and how (a `too_large` answer, or which close code)?
- A client floods typing frames without reading, far past the typing limit (5 at once, 2 a second):
  the node closes it (4429, after `rate_limited`) while it is still sending. Does the client get
  that code, or a reset (1006)? (Typing, not sends: a send's limit is raised for the bench.)

The client offers no WebSocket extension, as the load tool does; the extensions the server agreed to
are reported (none on every server here, so every server is compared on the same frames).
"""

import asyncio
import json

import websockets

from bench.processes import descendants, rss_bytes

MIB = 1024 * 1024
FLOOD_FRAMES = 20_000


def probe(url: str, plan_path: str, node_pid: int) -> dict:
    with open(plan_path) as handle:
        plan = json.load(handle)
    channel = plan["channels"][0]
    users = [plan["users"][index] for index in channel["members"][:2]]
    return asyncio.run(_probe(url, channel["id"], users, node_pid))


async def _probe(url: str, channel: int, users: list[dict], node_pid: int) -> dict:
    await asyncio.sleep(5)  # the node may still be closing the sockets of the run before
    try:
        oversized = await _oversized(url, channel, users[0]["access"], node_pid)
    except (OSError, websockets.WebSocketException) as error:  # a figure missing, not a run lost
        oversized = {"oversized": f"not measured: {error!r}"[:80], "oversized_rss_growth_mib": float("nan")}
    try:
        flood = await _flood(url, channel, users[1]["access"])
    except (OSError, websockets.WebSocketException) as error:
        flood = {"flood_close": f"not measured: {error!r}"[:80]}
    return {**oversized, **flood}


async def _connect(url: str, token: str):
    return await websockets.connect(
        url, additional_headers={"Authorization": f"Bearer {token}"}, compression=None, max_size=2**22, open_timeout=60
    )


async def _oversized(url: str, channel: int, token: str, node_pid: int) -> dict:
    connection = await _connect(url, token)
    extensions = connection.response.headers.get("Sec-WebSocket-Extensions") or "none"
    pids = [node_pid, *descendants(node_pid)]  # hypercorn serves from a child process

    def rss() -> int:
        return sum(rss_bytes(pid) for pid in pids)

    before = peak = rss()

    async def fragments():
        yield f'{{"type":"send","channel":{channel},"client_msg_id":"bench-oversized","body":"'
        for _ in range(40):
            yield "x" * MIB

    async def sample():
        nonlocal peak
        while True:
            peak = max(peak, rss())
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample())
    try:
        await connection.send(fragments())
        while True:  # the server either answers `too_large` or has closed the socket
            frame = json.loads(await asyncio.wait_for(connection.recv(), 30))
            if frame.get("type") == "error":
                outcome = frame["code"]
                break
    except websockets.ConnectionClosed:
        outcome = f"closed {connection.close_code}"
    except TimeoutError:
        outcome = "no answer in 30 s"
    await asyncio.sleep(0.5)  # the node may still be reading what the kernel buffered
    sampler.cancel()
    await connection.close()
    return {"extensions": extensions, "oversized": outcome, "oversized_rss_growth_mib": (peak - before) / MIB}


async def _flood(url: str, channel: int, token: str) -> dict:
    connection = await _connect(url, token)
    typing = json.dumps({"type": "typing", "channel": channel})
    try:
        await connection.send(json.dumps({"type": "subscribe", "channel": channel}))
        for _ in range(FLOOD_FRAMES):
            await connection.send(typing)
        while True:
            await asyncio.wait_for(connection.recv(), 30)
    except websockets.ConnectionClosed:
        return {"flood_close": connection.close_code}
    except TimeoutError:
        return {"flood_close": "still open after 30 s"}
