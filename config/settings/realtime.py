"""The realtime path: Redis (or a Redis Cluster), the web node's server, the limits of a WebSocket
connection, the message store and the drain."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import env

# --- Redis: fan-out, sequence counters, the Celery broker and the cache. In-process when unset.
REDIS_URL = env.str("REDIS_URL", default="")
# Redis Cluster for the realtime path (host:port of some of its nodes, comma-separated): seq
# counters, tails, persistence streams, room fan-out (sharded pub/sub), user feeds, presence.
# REDIS_URL stays the Celery broker and the cache (neither speaks cluster).
REDIS_CLUSTER_NODES = env.list("REDIS_CLUSTER_NODES", default=[])
if REDIS_CLUSTER_NODES and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_CLUSTER_NODES needs REDIS_URL too (Celery's broker and the cache).")
# A send is acknowledged once this many replicas have its writes (Redis WAIT): a failover then
# loses no acknowledged message. While a shard has fewer replicas, its sends answer `unavailable`.
CHAT_REDIS_REPLICAS_TO_ACK = env.int("CHAT_REDIS_REPLICAS_TO_ACK", default=1 if REDIS_CLUSTER_NODES else 0)
CHAT_REDIS_REPLICA_WAIT_MS = env.int("CHAT_REDIS_REPLICA_WAIT_MS", default=1000)
# How long channel and user events stay kept for nodes that missed them (chat.models.KeptEvent).
CHAT_EVENT_HISTORY_SECONDS = env.int("CHAT_EVENT_HISTORY_SECONDS", default=24 * 3600)
# No CHANNEL_LAYERS: fan-out goes through the hub's rooms and user feeds (docs/architecture.md).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The web node's ASGI server (chat/realtime/server.py): uvicorn refuses an oversized message as it
# arrives and holds an idle socket in a fifth of granian's memory (BENCHMARKS.md).
CHAT_WEB_SERVER = env.str("CHAT_WEB_SERVER", default="uvicorn")
if CHAT_WEB_SERVER not in ("uvicorn", "granian"):
    raise ImproperlyConfigured(f"CHAT_WEB_SERVER is uvicorn or granian, not {CHAT_WEB_SERVER!r}.")

# --- Chat limits per WebSocket connection.
# Sockets one user may hold on one node; the next is accepted and closed with 4409. Every socket
# costs memory whether it speaks or not: one account must not be able to hold a node's worth.
CHAT_MAX_CONNECTIONS_PER_USER = env.int("CHAT_MAX_CONNECTIONS_PER_USER", default=20)
CHAT_SEND_RATE_PER_SECOND = env.float("CHAT_SEND_RATE_PER_SECOND", default=20.0)
CHAT_SEND_BURST = env.int("CHAT_SEND_BURST", default=50)
CHAT_IDLE_TIMEOUT_SECONDS = env.float("CHAT_IDLE_TIMEOUT_SECONDS", default=300.0)
# Typing reaches every member; subscribing costs a query and a room: both are limited like sends.
CHAT_TYPING_RATE_PER_SECOND = env.float("CHAT_TYPING_RATE_PER_SECOND", default=2.0)
CHAT_TYPING_BURST = env.int("CHAT_TYPING_BURST", default=5)
CHAT_SUBSCRIBE_RATE_PER_SECOND = env.float("CHAT_SUBSCRIBE_RATE_PER_SECOND", default=20.0)
CHAT_SUBSCRIBE_BURST = env.int("CHAT_SUBSCRIBE_BURST", default=200)
# Read markers move as messages scroll into view: a client sends a few a second at most.
CHAT_READ_RATE_PER_SECOND = env.float("CHAT_READ_RATE_PER_SECOND", default=10.0)
CHAT_READ_BURST = env.int("CHAT_READ_BURST", default=50)
# Frames a connection has not yet written to its socket; past this the client is closed (4503).
CHAT_OUTBOUND_LIMIT_BYTES = env.int("CHAT_OUTBOUND_LIMIT_BYTES", default=1024 * 1024)

CHAT_PERSIST_RECLAIM_IDLE_MS = env.int("CHAT_PERSIST_RECLAIM_IDLE_MS", default=30_000)
# The least a web node accepts of Redis's persistence before it serves: fsync, aof or none
# (chat/realtime/durability.py says what each one keeps).
CHAT_REDIS_DURABILITY = env.str("CHAT_REDIS_DURABILITY", default="aof")

# --- Message store: MongoDB when MONGO_URL is set, the SQL model otherwise.
MONGO_URL = env.str("MONGO_URL", default="")
MONGO_DB_NAME = env.str("MONGO_DB_NAME", default="messenger")
# The store's collection is sharded by (channel, seq) behind mongos (`manage.py shard_message_store`).
MONGO_SHARDED = env.bool("MONGO_SHARDED", default=False)

# --- Graceful drain (chat/realtime/drain.py): how long a draining node waits for its sockets to
# leave, and the window over which their reconnects are spread.
DRAIN_TIMEOUT_SECONDS = env.float("DRAIN_TIMEOUT_SECONDS", default=30.0)
DRAIN_RECONNECT_MIN_MS = env.int("DRAIN_RECONNECT_MIN_MS", default=250)
DRAIN_RECONNECT_SPREAD_MS = env.int("DRAIN_RECONNECT_SPREAD_MS", default=3000)
