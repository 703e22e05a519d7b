"""The database pool's health check, off the path of every query.

Django with a pool and CONN_HEALTH_CHECKS sends an empty query before lending each connection:
py-spy put it at 43 % of a chat node's database thread in rooms of 5 (BENCHMARKS.md). A node
(DATABASE_POOL_CHECK_SECONDS > 0) lends without it and instead checks its idle connections every
few seconds (psycopg_pool's ConnectionPool.check: a broken one is replaced), so connections a
database restart broke are gone within that time; one that breaks while lent is discarded by the
pool when it comes back. Processes without the setting (the Celery worker, manage.py) keep
Django's check of every lent connection.
"""

import logging
import threading

from django.db import connections

logger = logging.getLogger(__name__)


def start_pool_checks(every_seconds: float) -> threading.Thread | None:
    """None where the database has no pool (SQLite, the embedded mode)."""
    if getattr(connections["default"], "pool", None) is None:
        return None
    thread = threading.Thread(target=_check_forever, args=(every_seconds,), name="database-pool-check", daemon=True)
    thread.start()
    return thread


def _check_forever(every_seconds: float) -> None:
    stopped = threading.Event()  # never set: the thread lives as long as the node
    while not stopped.wait(every_seconds):
        try:
            pool = connections["default"].pool  # the process's one pool, shared by its threads
            if pool.closed:
                continue  # not opened yet: nothing asked the database so far
            pool.check()
        except Exception:  # noqa: BLE001 - the database away: the next round checks again
            logger.warning("could not check the database pool", exc_info=True)
