"""The Celery application; tasks are discovered in each app's tasks.py."""

import os
from pathlib import Path

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_filesystem_broker_dirs() -> None:
    """The filesystem transport needs its folders before the first message."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


ensure_filesystem_broker_dirs()


@signals.task_prerun.connect
def _task_request_id(task_id=None, **kwargs) -> None:
    """A task's log lines carry its task id where web lines carry the request id."""
    from config.request_id import request_id

    request_id.set(task_id or "-")


@signals.worker_init.connect
def _serve_worker_metrics(**kwargs) -> None:
    from config.metrics import start_worker_metrics_server

    start_worker_metrics_server()


if os.environ.get("LOG_FORMAT") == "json":
    # A receiver here stops Celery from installing its own text handlers: Django's LOGGING
    # (JSON lines, secrets scrubbed) stays in charge of the worker's and beat's logs.
    @signals.setup_logging.connect
    def _keep_django_logging(**kwargs) -> None:
        import logging.config

        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)
