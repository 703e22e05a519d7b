"""The Channels tutorial's chat consumer (docs "Tutorial Part 3"), speaking the load tool's frames.

As in the tutorial, every message goes to the room with channel_layer.group_send and each
member's consumer sends it on in its chat_message handler: one channel-layer hop per
recipient. The frames follow docs/api.md "WebSocket" so the same load tool drives it; seq comes
from an in-process counter, so run it as one process.
"""

import json
from collections import defaultdict

from channels.generic.websocket import AsyncWebsocketConsumer

from bench import frames

last_seq: dict[int, int] = defaultdict(int)


def room_group(channel: int) -> str:
    return f"chat_{channel}"


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.rooms = []
        await self.accept()

    async def disconnect(self, close_code):
        for channel in self.rooms:
            await self.channel_layer.group_discard(room_group(channel), self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        frame = json.loads(text_data)
        kind = frame.get("type")
        if kind == "subscribe":
            channel = frame["channel"]
            await self.channel_layer.group_add(room_group(channel), self.channel_name)
            self.rooms.append(channel)
            await self.send(frames.subscribed(channel, last_seq[channel]))
        elif kind == "send":
            channel = frame["channel"]
            last_seq[channel] += 1
            message = frames.new_message(frame, last_seq[channel])
            await self.channel_layer.group_send(room_group(channel), {"type": "chat.message", "message": message})
            await self.send(frames.ack_frame(message))
        elif kind == "ping":
            await self.send(frames.PONG)

    async def chat_message(self, event):
        await self.send(text_data=frames.message_frame(event["message"]))
