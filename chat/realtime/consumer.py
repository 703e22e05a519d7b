"""The /ws/ endpoint (docs/api.md "WebSocket"): frames in and out; the session does the rest."""

import asyncio
import logging

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from chat import metrics
from chat.realtime import drain, idle, protocol
from chat.realtime.hubs import get_hub
from chat.realtime.protocol import FrameError
from chat.realtime.session import Session

logger = logging.getLogger(__name__)

CLOSE_WAIT_SECONDS = 5.0  # a close frame stuck behind a client that does not read is given up


class ChatConsumer(AsyncWebsocketConsumer):
    # User events come through the hub's per-user feeds (chat/realtime/hub.py), which a node
    # subscribes again after any Redis fault; no channel-layer receive per connection to fail.
    channel_layer_alias = None
    session: Session | None = None

    async def dispatch(self, message):
        # Frames go straight to their handler: channels' dispatch closes stale database
        # connections first, a thread hop per frame, and frames reach the database only
        # through database_sync_to_async, which does the same around each query.
        if message["type"] == "websocket.receive":
            await self.websocket_receive(message)
        else:
            await super().dispatch(message)

    async def connect(self):
        if drain.draining.is_set():
            await self.close()  # refused before accept: the balancer sends the client elsewhere
            return
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=protocol.CLOSE_UNAUTHENTICATED)
            return
        if get_hub().connections_of(user.pk) >= settings.CHAT_MAX_CONNECTIONS_PER_USER:
            await self.close(code=protocol.CLOSE_TOO_MANY_CONNECTIONS)  # accepted first, so the client hears why
            return
        self.session = Session(user=user, send=self.base_send, close=self._close_now)
        get_hub().attach(self.session)
        drain.connections.add(self.session)
        idle.ensure_sweeping(drain.connections)
        metrics.connections_open.inc()

    async def disconnect(self, code):
        if self.session is None:
            return  # never signed in
        drain.connections.discard(self.session)
        metrics.connections_open.dec()
        get_hub().detach(self.session)
        await self.session.end()

    async def receive(self, text_data=None, bytes_data=None):
        if self.session is None:
            return  # not signed in: its 4401 close is on the way, nothing is answered
        self.session.last_heard = asyncio.get_running_loop().time()
        try:
            await self.session.handle(protocol.parse_frame(text_data, bytes_data))
        except FrameError as error:
            self.session.refuse(error)
        except Exception:
            logger.exception("a frame could not be handled")
            self.session.refuse(FrameError(protocol.INTERNAL_ERROR, "The server could not handle this frame."))

    async def _close_now(self, code: int) -> None:
        try:
            await asyncio.wait_for(self.base_send({"type": "websocket.close", "code": code}), CLOSE_WAIT_SECONDS)
        except Exception:  # noqa: BLE001 - a socket that cannot take its close frame is dropped by the server
            logger.info("a close frame (%s) could not be sent", code)
