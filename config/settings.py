"""One settings module for every mode, read from environment variables.

Unset variables give the embedded defaults: SQLite, fan-out inside the process,
the SQL message store and background work inside the web process. Production sets
DATABASE_URL, REDIS_URL, MONGO_URL and CELERY_BROKER_URL.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.api_description import API_DESCRIPTION, ID_SCHEMA, TAGS
from config.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
# Runtime files of the embedded mode: the SQLite database.
VAR_DIR = Path(env.str("APP_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

INSECURE_DEFAULT_SECRET_KEY = "insecure-dev-only-secret-key-change-me"

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
# Production means "not DEBUG"; running it with the public default key would let anyone
# forge sessions and JWTs, so refuse to start. Local runs set DJANGO_DEBUG or a key.
if not DEBUG and SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY and not env.bool("DJANGO_ALLOW_INSECURE_KEY", default=False):
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for local development).")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])


def _networks(variable: str, default: list[str]) -> list[str]:
    """A list of networks from the environment, refused at start-up when one is not a network."""
    networks = env.list(variable, default=default)
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as error:
            raise ImproperlyConfigured(f"{variable}: {error}") from None
    return networks


# The reverse proxies in front of the web nodes (networks, e.g. "127.0.0.1/32"): only their
# X-Forwarded-For / X-Forwarded-Proto are believed (config/proxies.py). Empty: nobody's.
TRUSTED_PROXIES = _networks("TRUSTED_PROXIES", [])

INSTALLED_APPS = [
    "daphne",
    "django_prometheus",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "accounts",
    "channels_app",
    "chat",
    "wallets",
]

MIDDLEWARE = [
    "config.proxies.TrustedProxyMiddleware",  # first: everything after sees the client's address
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.headers.ApiNoStoreMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the session and the user: a signed-in user's language setting wins over Accept-Language.
    "config.locale.UserLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a locked-out sign-in into its page
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database: PostgreSQL in production (row locks), SQLite file when unset.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.postgresql"
    # A pool of open connections per process, lent out per request or query. A new connection
    # per query was most of a web node's CPU under load; persistent ones (CONN_MAX_AGE) do not
    # work under ASGI, where every HTTP request runs on a thread of its own: each request opened
    # a connection, and a burst of REST calls exhausted max_connections ("too many clients").
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
        "timeout": env.float("DATABASE_POOL_TIMEOUT_SECONDS", default=10.0),  # waiting for a free one
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # each lent connection is checked: a database restart breaks them
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.sqlite3"
    # Concurrent writers (web process + Celery worker) wait instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    # A file, not memory, so server processes started by the tests share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# django-axes first: a locked-out sign-in stops before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Password guessing (REST /api/auth/token, the sign-in page, the admin): SIGNIN_LOCKOUT_FAILURES wrong
# passwords for one email from one address lock that pair out for SIGNIN_LOCKOUT_MINUTES (429);
# the same limits as channel passwords and wallet PINs. THROTTLE_SIGNIN caps attempts per address.
AXES_FAILURE_LIMIT = env.int("SIGNIN_LOCKOUT_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGNIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.proxies.request_client_address"
AXES_USERNAME_CALLABLE = "accounts.lockout.signin_email"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out_response"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list(
    "DJANGO_PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)
LOGIN_URL = "/accounts/signin/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/signin/"

# Korean and English (API.md "Language"): a signed-in user's setting, else Accept-Language, else
# LANGUAGE_CODE. Translations live in locale/ (the .mo files are committed, compiled from the .po).
LANGUAGES = [("en", "English"), ("ko", "한국어")]
LANGUAGE_CODE = env.str("DJANGO_LANGUAGE_CODE", default="en")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
# Where a user who has not chosen a time zone is taken to live, for what the server dates itself
# (the end of a dues' due date, when a recurring dues request goes out).
DEFAULT_USER_TIME_ZONE = env.str("DEFAULT_USER_TIME_ZONE", default="Asia/Seoul")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []
# Serve static files from the app directories without collectstatic in development.
WHITENOISE_USE_FINDERS = True

DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=256 * 1024)

# --- Photos in the chat (chat/attachments.py), through Django's storage API: files under
# MEDIA_ROOT (the embedded mode; in docker/ a volume every node mounts), or an S3-compatible
# bucket when ATTACHMENTS_S3_BUCKET is set (django-storages; credentials from AWS_* variables).
# Never served from a public path: members fetch them through a checked view (or a signed,
# expiring S3 URL it redirects to).
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_MAX_PIXELS = env.int("ATTACHMENT_MAX_PIXELS", default=50_000_000)  # more is a decompression bomb
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads wait in a temporary file, not in memory
_S3_BUCKET = env.str("ATTACHMENTS_S3_BUCKET", default="")
STORAGES = {
    "default": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": _S3_BUCKET,
                "endpoint_url": env.str("ATTACHMENTS_S3_ENDPOINT_URL", default="") or None,
                "region_name": env.str("ATTACHMENTS_S3_REGION", default="") or None,
                "default_acl": "private",
                "querystring_auth": True,  # signed URLs
                "querystring_expire": env.int("ATTACHMENTS_URL_SECONDS", default=300),
                "file_overwrite": False,
            },
        }
        if _S3_BUCKET
        else {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": MEDIA_ROOT}}
    ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Redis: channel layer, fan-out, sequence counters. In-memory when unset.
REDIS_URL = env.str("REDIS_URL", default="")
# Redis Cluster for the realtime path (host:port of some of its nodes, comma-separated): seq
# counters, tails, persistence streams, room fan-out (sharded pub/sub), user feeds, presence.
# REDIS_URL stays the Celery broker, the cache and the channel layer (neither speaks cluster).
REDIS_CLUSTER_NODES = env.list("REDIS_CLUSTER_NODES", default=[])
if REDIS_CLUSTER_NODES and not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_CLUSTER_NODES needs REDIS_URL too (Celery's broker, the cache, the channel layer)."
    )
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

# --- Celery. With a broker (production): workers and one beat. Without one (the embedded mode)
# there is no worker to die: the web process runs beat's schedule in a thread and every task
# eagerly in process (config/celery.py), so what background work announces reaches open pages.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
BACKGROUND_IN_PROCESS = not CELERY_BROKER_URL
if BACKGROUND_IN_PROCESS:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = BACKGROUND_IN_PROCESS or env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
# A worker rides out broker restarts: it retries the connection for ever, at start-up too, and
# takes no part in the broker-wide chatter (gossip, mingle, remote control) that failed to come
# back on Redis reconnects (celery/celery#8030 and friends); `celery inspect` is not used here.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_keepalive": True, "health_check_interval": 10}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
BACKGROUND_HEARTBEAT_SECONDS = env.float("BACKGROUND_HEARTBEAT_SECONDS", default=5.0)
# How often an open page asks /readyz whether background work runs (only while it is visible).
BACKGROUND_STATUS_CHECK_SECONDS = env.float("BACKGROUND_STATUS_CHECK_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE = {
    # Proof that beat and a worker run (config/celery.py): /readyz and an alert read it.
    "background-heartbeat": {"task": "background.heartbeat", "schedule": BACKGROUND_HEARTBEAT_SECONDS},
    # Enqueues every due scheduled-transfer occurrence (each runs exactly once, see wallets.services).
    "wallets-scheduled-transfers": {
        "task": "wallets.enqueue_due_scheduled_transfers",
        "schedule": env.float("WALLET_SCHEDULE_TICK_SECONDS", default=10.0),
    },
    # Posts each recurring dues' request once per period (guarded like the scheduled transfers).
    "wallets-recurring-dues": {
        "task": "wallets.enqueue_due_recurring_dues",
        "schedule": env.float("WALLET_SCHEDULE_TICK_SECONDS", default=10.0),
    },
    "wallets-check-ledger": {
        "task": "wallets.check_ledger",
        "schedule": env.float("WALLET_LEDGER_CHECK_SECONDS", default=300.0),
    },
    "accounts-flush-expired-tokens": {"task": "accounts.flush_expired_tokens", "schedule": 3600.0},
    # Publishes what writes announced while Redis was away (chat/outbox.py); each run empties it.
    "chat-relay-outbox": {"task": "chat.relay_outbox", "schedule": env.float("CHAT_OUTBOX_RELAY_SECONDS", default=1.0)},
    "chat-trim-kept-events": {"task": "chat.trim_kept_events", "schedule": 3600.0},
    # Closes polls whose closing time came (each exactly once: chat.polls.polls_close_due).
    "chat-close-due-polls": {
        "task": "chat.close_due_polls",
        "schedule": env.float("CHAT_POLL_TICK_SECONDS", default=5.0),
    },
}
if REDIS_URL:  # the embedded mode stores each message as it is sent: nothing to drain
    # Drains the chat persistence stream; each run loops until the stream is empty.
    CELERY_BEAT_SCHEDULE["chat-persist-messages"] = {
        "task": "chat.persist_messages",
        "schedule": env.float("CHAT_PERSIST_INTERVAL_SECONDS", default=0.5),
    }

# --- REST framework.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.locale.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only (API.md): a form body cannot carry the numbers money fields need, so the schema
    # advertised form bodies the API then refused.
    "DEFAULT_PARSER_CLASSES": ["config.parsers.LimitedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.ResultsPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "config.schema.ContractAutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "signin": env.str("THROTTLE_SIGNIN", default="20/min"),
        "signup": env.str("THROTTLE_SIGNUP", default="10/min"),
        "channel_password": env.str("THROTTLE_CHANNEL_PASSWORD", default="10/min"),
        # Wallet numbers are sequential: the lookup names their owners, so it is kept to a human pace.
        "wallet_lookup": env.str("THROTTLE_WALLET_LOOKUP", default="30/min"),
        # Each reaction reaches every subscriber of the channel: a person's pace, not a script's.
        "reaction": env.str("THROTTLE_REACTIONS", default="60/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Throttles key on REMOTE_ADDR, which TrustedProxyMiddleware has made the client's address
    # (DRF's default would read X-Forwarded-For from anyone: a client varying it was never throttled).
    "NUM_PROXIES": 0,
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "SIGNING_KEY": SECRET_KEY,
    # A refresh answers a new refresh token and the old one is blacklisted: a stolen refresh
    # token stops working at its owner's next refresh, and a reused one is refused.
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Group wallet messenger API",
    "DESCRIPTION": API_DESCRIPTION,
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "TAGS": TAGS,
    "PATH_CONVERTER_OVERRIDES": {"id": ID_SCHEMA},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.document_error_responses",
        "config.schema.require_bodies_with_required_fields",
        "config.schema.document_nul_refusal",
    ],
}

# --- Prometheus: several web node processes each export their own port range, or the
# multiprocess directory when PROMETHEUS_MULTIPROC_DIR is set (see config/metrics.py).
PROMETHEUS_EXPORT_MIGRATIONS = False
# Who may read /metrics (config/metrics_view.py): these networks, or anyone with the token.
METRICS_ALLOWED_NETWORKS = _networks("METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# LOG_FORMAT=json: one JSON object per line with the request id; secrets are scrubbed either way.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = logging_config(
    log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"), tasks_in_process=BACKGROUND_IN_PROCESS
)

# --- Graceful drain (chat/realtime/drain.py): how long a draining node waits for its sockets to
# leave, and the window over which their reconnects are spread.
DRAIN_TIMEOUT_SECONDS = env.float("DRAIN_TIMEOUT_SECONDS", default=30.0)
DRAIN_RECONNECT_MIN_MS = env.int("DRAIN_RECONNECT_MIN_MS", default=250)
DRAIN_RECONNECT_SPREAD_MS = env.int("DRAIN_RECONNECT_SPREAD_MS", default=3000)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- HTTPS (production: DJANGO_HTTPS=1, TLS ending at the proxy). Plain HTTP otherwise: the
# embedded run, the tests and bin/cluster serve http://127.0.0.1.
HTTPS = env.bool("DJANGO_HTTPS", default=False)
if TRUSTED_PROXIES:
    # Only a trusted proxy's X-Forwarded-Proto reaches here (config/proxies.py drops anyone else's).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
# Health checks, the scraper and operators talk to a node directly over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$", r"^ops/"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=HTTPS)

# --- Content-Security-Policy (django-csp): scripts and styles from this origin only, inline
# ones only with the response's nonce. The WebSocket is same-origin ('self' covers ws/wss).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
