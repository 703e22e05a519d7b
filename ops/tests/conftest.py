import pytest
from django.db import connection

from chat.tests.live import server_env


@pytest.fixture(scope="module")
def server_environment(django_db_setup, django_db_blocker):
    """What the live nodes and workers of these tests share with the test process."""
    with django_db_blocker.unblock():
        database_name = connection.settings_dict["NAME"]
    return server_env(
        database_name,
        CHAT_SEND_RATE_PER_SECOND="200",
        CHAT_SEND_BURST="400",
        CHAT_PERSIST_RECLAIM_IDLE_MS="2000",
        DRAIN_RECONNECT_MIN_MS="200",
        DRAIN_RECONNECT_SPREAD_MS="1500",
        DRAIN_TIMEOUT_SECONDS="60",
    )
