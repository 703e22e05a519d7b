"""The page says when the server's background work (saving messages, schedules) has stopped, and
stops saying it when a worker runs again."""

import pytest
from playwright.sync_api import expect

from chat.tests.live import CeleryWorker, WebNode
from tests.browser.helpers import sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def quick_heartbeat_node(browser_environment):
    """A node whose background work counts as stopped 3 s after its last heartbeat, and whose
    pages ask every second (production: 30 s and a minute)."""
    environment = {
        **browser_environment,
        "BACKGROUND_HEARTBEAT_SECONDS": "0.5",
        "BACKGROUND_STATUS_CHECK_SECONDS": "1",
    }
    web = WebNode(environment, "web-background-status")
    yield web, environment
    web.stop()


def test_the_page_says_when_background_work_stops_and_when_it_runs_again(quick_heartbeat_node, new_page):
    node, environment = quick_heartbeat_node
    worker = CeleryWorker(environment, "celery-background-status")
    try:
        page = new_page(size=(390, 844))
        sign_up(page, node, "ana")
        banner = page.get_by_test_id("background-status")
        expect(page.get_by_test_id("connection-status")).to_have_text("Connected")
        expect(banner).to_be_hidden(timeout=15_000)  # the worker's beat has written its first heartbeat

        worker.kill()
        expect(banner).to_be_visible(timeout=15_000)
        expect(banner).to_contain_text("Background work has stopped")
        expect(page.get_by_test_id("connection-status")).to_have_text("Connected")  # chat itself goes on

        worker = CeleryWorker(environment, "celery-background-status-again")
        expect(banner).to_be_hidden(timeout=30_000)
    finally:
        worker.stop()
