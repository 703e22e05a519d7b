"""Rate limits: a token bucket per connection (short bursts pass, a sustained flood does not), and
each person's message budget, shared by all their sockets and REST posts."""

import time

from django.conf import settings
from redis.exceptions import RedisError

from chat.realtime.redis_client import async_redis
from chat.realtime.redis_scripts import shared_script


class TokenBucket:
    __slots__ = ("rate", "capacity", "tokens", "updated")  # a few per open socket

    def __init__(self, *, rate: float, burst: int):
        self.rate = rate
        self.capacity = burst
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


# A person's message budget, shared by their sockets and REST posts on every node: GCRA (the
# "generic cell rate algorithm" of redis-cell and Stripe's limiters), one key per person holding
# the time their budget is next full. Redis's own clock, so nodes need not agree on the time.
SEND_BUDGET_SCRIPT = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local interval = 1 / tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local full_at = tonumber(redis.call('GET', KEYS[1]) or now)
if full_at < now then full_at = now end
if full_at - now > (burst - 1) * interval then return 0 end
full_at = full_at + interval
redis.call('SET', KEYS[1], string.format('%.6f', full_at), 'PX', math.ceil((full_at - now) * 1000) + 1000)
return 1
"""

_local_budgets: dict[int, TokenBucket] = {}  # without Redis (the embedded mode: one process)


def forget_local_budgets() -> None:
    """Tests under SQLite reuse user ids after each rollback; a new test's user starts with a full budget."""
    _local_budgets.clear()


async def send_budget_take(*, user_id: int) -> bool:
    """Spends one message of the person's budget (CHAT_SEND_RATE_PER_SECOND, CHAT_SEND_BURST);
    False when it is spent. If Redis cannot answer, the message is let through: the send needs
    Redis itself and reports the outage."""
    rate, burst = settings.CHAT_SEND_RATE_PER_SECOND, settings.CHAT_SEND_BURST
    if not settings.REDIS_URL:
        bucket = _local_budgets.get(user_id)
        if bucket is None or (bucket.rate, bucket.capacity) != (rate, burst):
            bucket = _local_budgets[user_id] = TokenBucket(rate=rate, burst=burst)
        return bucket.take()
    script = shared_script(async_redis(), SEND_BUDGET_SCRIPT)
    try:
        return bool(await script(keys=[f"chat:send-budget:{user_id}"], args=[rate, burst]))
    except RedisError:
        return True
