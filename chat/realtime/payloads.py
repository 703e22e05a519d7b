"""What goes over a room's topic and a user's feed: built and read here only (the send script
builds a message's payload from message_around_seq's two halves, chat/realtime/message_log.py).

Payloads on a room's topic:
    "m <seq> <published_at> <frame json>"   a message of the channel's history
    "c <version> <frames json list>"        a change to a message (frames to apply, in order)
    "k <position> <frame json>"             a kept channel event (member joined, dues requested, ...)
    "e <sender_id> <frame json>"            typing, read receipts of sockets, presence (not kept)
    "x left <user_id>"                      that user's subscriptions end on every node
Payloads on a user's feed:
    "k <position> <frame json>"             a kept event for every connection of the user
    "e 0 <frame json>"                      an event not kept (mentioned: the message is in history)
    "x left <channel_id>"                   the user left that channel (their sends are checked again)
"""

import time
from typing import NamedTuple

MESSAGE, CHANGE, KEPT, EPHEMERAL, LEFT = "m", "c", "k", "e", "x"


class Payload(NamedTuple):
    kind: str
    number: int  # the seq, version, position, sender id, or the id that left
    text: str  # the frame, or a change's frames (a JSON list); "" for a leave
    published_at: float = 0.0  # a message's


def message_around_seq(published_at: float) -> tuple[str, str]:
    """A message's payload is <before><seq><after><frame>: the send script knows the seq only."""
    return f"{MESSAGE} ", f" {published_at:.6f} "


def message_payload(seq: int, frame_text: str) -> str:
    before, after = message_around_seq(time.time())
    return f"{before}{seq}{after}{frame_text}"


def change_payload(version: int, frames_json: str) -> str:
    return f"{CHANGE} {version} {frames_json}"


def kept_payload(position: int, frame_text: str) -> str:
    return f"{KEPT} {position} {frame_text}"


def ephemeral_payload(sender_id: int, frame_text: str) -> str:
    return f"{EPHEMERAL} {sender_id} {frame_text}"


def left_payload(user_or_channel_id: int) -> str:
    """On a room's topic: that user left; on a user's feed: they left that channel."""
    return f"{LEFT} left {user_or_channel_id}"


def parse(payload: str) -> Payload:
    kind = payload[0]
    if kind == MESSAGE:
        _, seq, published_at, text = payload.split(" ", 3)
        return Payload(kind, int(seq), text, float(published_at))
    if kind == LEFT:
        return Payload(kind, int(payload.rsplit(" ", 1)[1]), "")
    _, number, text = payload.split(" ", 2)
    return Payload(kind, int(number), text)
