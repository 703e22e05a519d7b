"""Redis connection pools for the event loop: a connection is checked outside the pool's lock.

redis-py's asyncio ConnectionPool checks each connection it lends while holding its one lock,
and the check (a read with a zero timeout) lasts a full turn of the event loop. Under a burst
every Redis command of the process then waited its turn for the lock: after a drain, thousands
of reconnecting clients' commands took 1.3 s each (bench/NOTES.md). The blocking pool lends under
its lock and checks outside it, so lending does not queue.
"""

from redis.asyncio import BlockingConnectionPool

MAX_CONNECTIONS = 200
WAIT_SECONDS = 10  # for a free connection when all are lent; then the command fails


def pool_from_url(url: str, **options) -> BlockingConnectionPool:
    return BlockingConnectionPool.from_url(url, max_connections=MAX_CONNECTIONS, timeout=WAIT_SECONDS, **options)
