"""The Django project: paths, apps, middleware, templates, the database, languages, files and the
REST API (DRF, drf-spectacular)."""

from pathlib import Path

import environ

from core.api.api_description import API_DESCRIPTION, ID_SCHEMA, TAGS

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
# Runtime files of the embedded mode: the SQLite database.
VAR_DIR = Path(env.str("APP_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

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
    "core.web.proxies.TrustedProxyMiddleware",  # first: everything after sees the client's address
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.web.headers.ApiNoStoreMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the session and the user: a signed-in user's language setting wins over Accept-Language.
    "core.web.locale.UserLocaleMiddleware",
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
DATABASE_POOL_CHECK_SECONDS = env.float("DATABASE_POOL_CHECK_SECONDS", default=0.0)  # set by the web node
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
    # A database restart breaks pooled connections. A web node checks its idle ones every few
    # seconds (core/db_pool.py); other processes check each connection before it is lent.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = not DATABASE_POOL_CHECK_SECONDS
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.sqlite3"
    # Concurrent writers (web process + Celery worker) wait instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    # A file, not memory, so server processes started by the tests share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"

LOGIN_URL = "/accounts/signin/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/signin/"

# Korean and English (docs/api.md "Language"): a signed-in user's setting, else Accept-Language, else
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

# --- REST framework.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.web.locale.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only (docs/api.md): a form body cannot carry the numbers money fields need, so the schema
    # advertised form bodies the API then refused.
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.LimitedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.ResultsPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ContractAutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "signin": env.str("THROTTLE_SIGNIN", default="20/min"),
        "signup": env.str("THROTTLE_SIGNUP", default="10/min"),
        "channel_password": env.str("THROTTLE_CHANNEL_PASSWORD", default="10/min"),
        # Wallet numbers are sequential: the lookup names their owners, so it is kept to a human pace.
        "wallet_lookup": env.str("THROTTLE_WALLET_LOOKUP", default="30/min"),
        # Each reaction reaches every subscriber of the channel: a person's pace, not a script's.
        "reaction": env.str("THROTTLE_REACTIONS", default="60/min"),
        # A vote sends the whole poll to every subscriber, and a vote can be changed at will.
        "poll_vote": env.str("THROTTLE_POLL_VOTES", default="30/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Throttles key on REMOTE_ADDR, which TrustedProxyMiddleware has made the client's address
    # (DRF's default would read X-Forwarded-For from anyone: a client varying it was never throttled).
    "NUM_PROXIES": 0,
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
        "core.api.schema.document_error_responses",
        "core.api.schema.require_bodies_with_required_fields",
        "core.api.schema.document_nul_refusal",
    ],
}
