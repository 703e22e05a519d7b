"""What a process tells about itself: its logs and its Prometheus metrics."""

from config.settings.base import env
from config.settings.celery import BACKGROUND_IN_PROCESS
from core.node.logs import logging_config

# --- Prometheus: several web node processes each export their own port range, or the
# multiprocess directory when PROMETHEUS_MULTIPROC_DIR is set (see core/node/metrics.py).
PROMETHEUS_EXPORT_MIGRATIONS = False

# LOG_FORMAT=json: one JSON object per line with the request id; secrets are scrubbed either way.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = logging_config(
    log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"), tasks_in_process=BACKGROUND_IN_PROCESS
)
