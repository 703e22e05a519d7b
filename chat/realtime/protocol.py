"""The /ws/ protocol's vocabulary: client frames, error codes and close codes (docs/api.md "WebSocket").

Every client frame is parsed by one msgspec schema: the `type` field picks the frame, fields
have their JSON types and bounds, unknown fields are ignored. Whatever a client sends, the
result is a frame object or a FrameError, never an exception from deeper down.
"""

from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from core.api.limits import DB_INTEGER_MAX

MAX_FRAME_BYTES = 64 * 1024
# The web server reads no more of one message than this, however it is fragmented: past it the
# connection is closed with 1009 before the node holds the message whole. Up to it, a frame over
# MAX_FRAME_BYTES is answered `too_large` and the socket stays open.
MAX_MESSAGE_BYTES = 4 * MAX_FRAME_BYTES

ChannelId = Annotated[int, Meta(ge=1, le=DB_INTEGER_MAX)]
Seq = Annotated[int, Meta(ge=0, le=DB_INTEGER_MAX)]

# Error codes of {type: "error"} frames.
BAD_REQUEST = "bad_request"
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"
TOO_LARGE = "too_large"
RATE_LIMITED = "rate_limited"
UNAVAILABLE = "unavailable"  # the node cannot reach Redis right now: try again (or reconnect)
INTERNAL_ERROR = "internal_error"  # a fault of the server's, logged; the connection stays open

# Close codes chosen by the server (a draining node's 4012: chat/realtime/drain.py).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_IDLE = 4408
CLOSE_TOO_MANY_CONNECTIONS = 4409  # the user already has CHAT_MAX_CONNECTIONS_PER_USER sockets on this node
CLOSE_RATE_LIMITED = 4429
CLOSE_TOO_SLOW = 4503


class Subscribe(Struct, tag="subscribe", tag_field="type", frozen=True):
    channel: ChannelId
    since_seq: Seq | None = None
    since_version: Seq | None = None  # with since_seq: the changes to messages the client has


class Unsubscribe(Struct, tag="unsubscribe", tag_field="type", frozen=True):
    channel: ChannelId


class Send(Struct, tag="send", tag_field="type", frozen=True):
    channel: ChannelId
    body: str
    client_msg_id: str
    reply_to: str | None = None
    attachments: Annotated[list[ChannelId], Meta(max_length=10)] | None = None  # ids of photos uploaded to the channel


class Typing(Struct, tag="typing", tag_field="type", frozen=True):
    channel: ChannelId


class Read(Struct, tag="read", tag_field="type", frozen=True):
    channel: ChannelId
    seq: Seq


class Ping(Struct, tag="ping", tag_field="type", frozen=True):
    pass


ClientFrame = Subscribe | Unsubscribe | Send | Typing | Read | Ping
_decoder = msgspec.json.Decoder(ClientFrame)


class FrameError(Exception):
    """A frame the server refuses; becomes an error frame, the connection stays open."""

    def __init__(self, code: str, detail: str, *, channel: int | None = None, client_msg_id: str | None = None):
        super().__init__(detail)
        self.code, self.detail, self.channel, self.client_msg_id = code, detail, channel, client_msg_id

    def frame(self) -> dict:
        reply = {"type": "error", "code": self.code, "detail": self.detail}
        if self.channel is not None:
            reply["channel"] = self.channel
        if self.client_msg_id is not None:
            reply["client_msg_id"] = self.client_msg_id
        return reply


def parse_frame(text: str | None, data: bytes | None) -> ClientFrame:
    """One client frame, checked against the schema; FrameError for anything else."""
    if text is None:
        raise FrameError(BAD_REQUEST, "Frames must be JSON text frames.")
    # A character takes at most four bytes: only text near the limit needs encoding to be measured.
    if len(text) * 4 > MAX_FRAME_BYTES and len(text.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
        raise FrameError(TOO_LARGE, f"A frame may be at most {MAX_FRAME_BYTES} bytes.")
    try:
        return _decoder.decode(text)
    except msgspec.ValidationError as error:
        raise FrameError(BAD_REQUEST, f"Not a valid frame: {error}.") from None
    except (msgspec.DecodeError, RecursionError):
        raise FrameError(
            BAD_REQUEST, "Not valid JSON: a frame is one JSON object, with no lone surrogate escapes."
        ) from None


_encoder = msgspec.json.Encoder()


def encode(frame: dict) -> str:
    return _encoder.encode(frame).decode()
