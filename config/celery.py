"""The Celery application; tasks are discovered in each app's tasks.py.

Production runs workers and exactly one beat against a broker. The embedded mode has no
broker: start_in_process_beat() runs beat's schedule in a thread of the web process, and the
tasks run eagerly there (CELERY_TASK_ALWAYS_EAGER), so nothing can leave them behind.
"""

import logging
import os
import threading
import time

from celery import Celery, signals
from celery.beat import Service

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)
# Worker options for every deployment (docker/compose.yaml, bin/cluster, the tests, the bench):
# the broker-wide chatter between workers is what failed to come back after Redis restarts.
WORKER_OPTIONS = ("--without-gossip", "--without-mingle", "--without-heartbeat")
RESTART_DELAY_SECONDS = 1.0


@app.task(name="background.heartbeat", ignore_result=True)
def background_heartbeat() -> None:
    """Beat and a worker are alive: /readyz, the page and the BackgroundWorkStopped alert read this."""
    from core.node.heartbeat import heartbeat_write

    heartbeat_write()


_beat_thread: threading.Thread | None = None


def start_in_process_beat() -> None:
    """Beat's schedule in a daemon thread of this process (the embedded mode); started once."""
    global _beat_thread
    if _beat_thread is None:
        app.autodiscover_tasks(force=True)  # a worker imports the tasks at start; this process must too
        _beat_thread = threading.Thread(target=_run_beat_forever, name="in-process-beat", daemon=True)
        _beat_thread.start()


def _run_beat_forever() -> None:
    # The in-memory scheduler keeps no schedule file; a task that fails is logged by beat and
    # the next tick still comes. Should the service itself stop, it starts again.
    background_heartbeat()  # running from now on, not only after the first interval has passed
    while True:
        try:
            Service(app, max_interval=1, scheduler_cls="celery.beat:Scheduler").start()
        except Exception:
            logger.exception("in-process beat stopped; starting it again")
        time.sleep(RESTART_DELAY_SECONDS)


@signals.task_prerun.connect
def _task_request_id(task_id=None, **kwargs) -> None:
    """A task's log lines carry its task id where web lines carry the request id."""
    from core.web.request_id import request_id

    request_id.set(task_id or "-")


@signals.worker_init.connect
def _serve_worker_metrics(**kwargs) -> None:
    from core.node.metrics import start_worker_metrics_server

    start_worker_metrics_server()


if os.environ.get("LOG_FORMAT") == "json":
    # A receiver here stops Celery from installing its own text handlers: Django's LOGGING
    # (JSON lines, secrets scrubbed) stays in charge of the worker's and beat's logs.
    @signals.setup_logging.connect
    def _keep_django_logging(**kwargs) -> None:
        import logging.config

        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)
