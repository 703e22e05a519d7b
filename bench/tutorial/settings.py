"""Settings of the tutorial server: only what the Channels tutorial needs (no database, no auth)."""

import os

SECRET_KEY = "bench-tutorial-server-has-no-secrets"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["daphne", "channels"]
ASGI_APPLICATION = "bench.tutorial.asgi.application"
USE_TZ = True
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")]},
    }
}
