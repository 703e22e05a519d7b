"""The settings, one module a concern, read from environment variables (DJANGO_SETTINGS_MODULE=config.settings).

Unset variables give the embedded defaults: SQLite, no Redis, the SQL message store and background
work inside the web process. Production sets DATABASE_URL, REDIS_URL, MONGO_URL and CELERY_BROKER_URL.
The order does not matter: each module imports by name what it takes from another.
"""

from config.settings.base import *  # noqa: F403
from config.settings.celery import *  # noqa: F403
from config.settings.observability import *  # noqa: F403
from config.settings.realtime import *  # noqa: F403
from config.settings.security import *  # noqa: F403
