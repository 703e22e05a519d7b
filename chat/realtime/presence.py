"""Who is online: a user with at least one open connection, on any node.

Each node keeps its users in Redis, one sorted set per user (node -> expiry), refreshed every
REFRESH_SECONDS; the entries of a node that died expire on their own. When a user's first
connection anywhere opens, or their last one closes, each channel they are in hears its online
members ({type: "presence", channel, online}), at most once per ANNOUNCE_SECONDS per channel:
a crowd reconnecting after a drain does not flood the rooms. Subscribers get the list when
they subscribe (chat/realtime/snapshots.py). Without Redis (the embedded mode) the one
process knows everybody's connections.
"""

import asyncio
import itertools
import logging
import os
import socket
import time

from channels.db import database_sync_to_async
from django.conf import settings

from chat.realtime import keys, protocol
from chat.realtime.background import spawn
from chat.realtime.redis_scripts import shared_script

logger = logging.getLogger(__name__)

NODE = f"{socket.gethostname()}:{os.getpid()}"
REFRESH_SECONDS = 10.0
REFRESH_SLICES = 10
EXPIRY_SECONDS = 30.0
ANNOUNCE_SECONDS = 1.0

# KEYS: the user's presence set. ARGV: this node, its entry's expiry, now. Returns 1 if the user
# was online nowhere before (a node's entry counts until it expires).
_ARRIVE = """
local elsewhere = redis.call('ZCOUNT', KEYS[1], ARGV[3], '+inf')
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(ARGV[2] - ARGV[3]) + 60)
if elsewhere == 0 then return 1 end
return 0
"""

# KEYS: the user's presence set. ARGV: this node, now. Returns 1 if the user is online nowhere now.
_LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('ZCOUNT', KEYS[1], ARGV[2], '+inf') == 0 then return 1 end
return 0
"""


class Presence:
    def __init__(self, feeds: dict, publish):
        self.feeds = feeds  # the hub's: user id -> this node's connections of that user
        self.publish = publish  # the hub's publish_ephemeral(channel_id, sender_id, frame text)
        self.dirty_users: set[int] = set()
        self.dirty_channels: set[int] = set()
        self.announcer: asyncio.Task | None = None
        self.refresher: asyncio.Task | None = None
        self.tasks: set[asyncio.Task] = set()

    # --- this node's users

    def connected(self, user_id: int) -> None:
        """The user's first connection on this node opened."""
        spawn(self.tasks, self._arrive(user_id))

    def disconnected(self, user_id: int) -> None:
        """The user's last connection on this node closed."""
        spawn(self.tasks, self._leave(user_id))

    async def _arrive(self, user_id: int) -> None:
        # Arrivals of a loop turn share one pipeline, as leaves do.
        if not settings.REDIS_URL:
            self._changed(user_id)
            return
        self._ensure_refreshing()
        now = time.time()
        arrive = shared_script(_client(), _ARRIVE)
        if await arrive(keys=[keys.presence_key(user_id)], args=[NODE, now + EXPIRY_SECONDS, now]):
            self._changed(user_id)

    async def _leave(self, user_id: int) -> None:
        if user_id in self.feeds:
            return  # back meanwhile
        if not settings.REDIS_URL:
            self._changed(user_id)
            return
        # A crowd leaving at once (a mass disconnect) goes out as one pipeline a loop turn, not as
        # one script per user that takes every pooled connection.
        leave = shared_script(_client(), _LEAVE)
        if await leave(keys=[keys.presence_key(user_id)], args=[NODE, time.time()]):
            self._changed(user_id)

    def _ensure_refreshing(self) -> None:
        if self.refresher is None or self.refresher.done():
            self.refresher = asyncio.get_running_loop().create_task(self._refresh())

    async def _refresh(self) -> None:
        # Every user's entry once per REFRESH_SECONDS, a slice of them each REFRESH_SLICES-th of it:
        # one pipeline of a node's 10,000 users held the event loop for tens of milliseconds at once.
        for tick in itertools.count():
            await asyncio.sleep(REFRESH_SECONDS / REFRESH_SLICES)
            try:
                expiry = time.time() + EXPIRY_SECONDS
                async with _client().pipeline(transaction=False) as pipe:
                    for user_id in [
                        user_id for user_id in self.feeds if user_id % REFRESH_SLICES == tick % REFRESH_SLICES
                    ]:
                        pipe.zadd(keys.presence_key(user_id), {NODE: expiry})
                    await pipe.execute()
            except Exception:  # noqa: BLE001 - Redis away: the next refresh comes in time unless it stays away
                logger.warning("could not refresh presence", exc_info=True)

    # --- who is online, and telling the channels

    async def online_among(self, user_ids: list[int]) -> set[int]:
        online = {user_id for user_id in user_ids if user_id in self.feeds}
        others = [user_id for user_id in user_ids if user_id not in online]
        if others and settings.REDIS_URL:
            now = time.time()
            async with _client().pipeline(transaction=False) as pipe:
                for user_id in others:
                    pipe.zcount(keys.presence_key(user_id), now, "+inf")
                counts = await pipe.execute()
            online.update(user_id for user_id, count in zip(others, counts, strict=True) if count)
        return online

    def members_changed(self, channel_id: int) -> None:
        """Someone joined or left the channel: it hears who of its members is online now."""
        self.dirty_channels.add(channel_id)
        self._ensure_announcing()

    def _changed(self, user_id: int) -> None:
        self.dirty_users.add(user_id)
        self._ensure_announcing()

    def _ensure_announcing(self) -> None:
        if self.announcer is None or self.announcer.done():
            self.announcer = asyncio.get_running_loop().create_task(self._announce())

    async def _announce(self) -> None:
        """Every ANNOUNCE_SECONDS, each channel of the users who came or went, and each channel
        someone joined or left, hears its online members."""
        from channels_app.selectors import channels_read_markers, user_channel_ids

        while self.dirty_users or self.dirty_channels:
            await asyncio.sleep(ANNOUNCE_SECONDS)
            users, self.dirty_users = self.dirty_users, set()
            channels, self.dirty_channels = self.dirty_channels, set()
            try:
                channel_ids = await database_sync_to_async(user_channel_ids)(user_ids=list(users))
                channel_ids = sorted(set(channel_ids) | channels)
                members = await database_sync_to_async(channels_read_markers)(channel_ids=channel_ids)
                online = await self.online_among(list({user for rows in members.values() for user, _ in rows}))
                for channel_id, rows in members.items():
                    frame = {
                        "type": "presence",
                        "channel": channel_id,
                        "online": sorted(user for user, _ in rows if user in online),
                    }
                    await self.publish(channel_id, 0, protocol.encode(frame))
            except Exception:  # noqa: BLE001 - presence is a courtesy: the next change or subscribe corrects it
                logger.warning("could not announce presence", exc_info=True)


def _client():
    from chat.realtime.redis_client import async_redis

    return async_redis()
