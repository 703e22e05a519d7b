"""A fast path for WebSocket frames on daphne: encoded once per room message, written straight out.

Through ASGI every frame to every socket takes the consumer's send, channels' and daphne's
wrappers, autobahn's framing and Twisted's write buffer (two epoll changes and a loop turn
per frame); the profile of a node under load (BENCHMARKS.md) was mostly that. A room
message reaches each local member as the same bytes, so the hub frames it once
(text_frame) and the consumer writes those bytes to each socket through the writer that
config.server puts in the connection's scope (ASGI "extensions", key EXTENSION). Without
that key (another ASGI server, the test communicator) the consumer uses ASGI's send.
"""

from functools import partial

EXTENSION = "messenger.write_frame"


def text_frame(text: str) -> bytes:
    """One unmasked, unfragmented WebSocket text frame (RFC 6455 5.2), as a server sends it."""
    payload = text.encode()
    length = len(payload)
    if length < 126:
        return bytes((0x81, length)) + payload
    if length < 1 << 16:
        return bytes((0x81, 126)) + length.to_bytes(2, "big") + payload
    return bytes((0x81, 127)) + length.to_bytes(8, "big") + payload


def write_frame(protocol, frame: bytes) -> bool:
    """Writes a whole frame to an open daphne WebSocket; False when it is not open (not sent).

    When Twisted holds nothing unsent for the socket the frame goes out with one send() right
    away; otherwise (or for what the kernel did not take) it joins Twisted's buffer behind the
    rest, so frames keep their order.
    """
    if protocol.state != protocol.STATE_OPEN:
        return False
    transport = protocol.transport
    if not getattr(transport, "TLS", False) and not transport.dataBuffer and not transport._tempDataLen:
        try:
            sent = transport.socket.send(frame)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            sent = 0  # a broken socket: Twisted's own write finds out and closes the connection
        frame = frame[sent:]
        if not frame:
            return True
    transport.write(frame)
    return True


def add_to_scope(protocol, scope: dict) -> None:
    """Called by config.server for each new connection."""
    if scope.get("type") == "websocket":
        scope.setdefault("extensions", {})[EXTENSION] = partial(write_frame, protocol)
