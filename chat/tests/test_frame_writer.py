"""Room frames are encoded once as WebSocket bytes (config/frame_writer.py): what a client decodes."""

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from config.frame_writer import text_frame


def _decode(data: bytes) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        return done.value
    raise AssertionError("the frame was incomplete")


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 200_000])
def test_every_payload_length_decodes_to_one_whole_text_frame(size):
    text = ("é" * size)[:size]  # two bytes a character: the length is in bytes, not characters
    frame = _decode(text_frame(text))

    assert (frame.opcode, frame.fin) == (Opcode.TEXT, True)
    assert frame.data.decode() == text
