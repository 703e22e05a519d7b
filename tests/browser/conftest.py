"""Browser tests: Playwright drives Debian's headless Chromium against a real web node (chat.realtime.server)
and Celery worker. On failure each page's screenshot and HTML are kept in var/test-artifacts/."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from chat.tests.conftest import server_environment  # noqa: F401 - the live-server fixture
from chat.tests.live import CeleryWorker, WebNode
from tests.browser.helpers import ARTIFACTS

CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser_environment(server_environment):  # noqa: F811
    """The servers' environment, with sign-up limits opened up for the many sign-ups here."""
    return {**server_environment, "THROTTLE_SIGNUP": "1000/min", "THROTTLE_SIGNIN": "1000/min"}


@pytest.fixture(scope="module")
def node(browser_environment):
    """One web node with a worker."""
    web = WebNode(browser_environment, "web-browser")
    worker = CeleryWorker(browser_environment, "celery-browser")
    yield web
    web.stop()
    worker.stop()


@pytest.fixture(scope="module")
def chromium():
    """Playwright's sync API keeps an event loop running in this thread while it is open, which
    Django's async-safety check mistakes for async code around the test database flush; the
    test process itself never touches the database from a coroutine, so the check is lifted
    for this module only."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: bin/test installs it with apt-get (package chromium)")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# Every Content-Security-Policy violation of a page, told to the test through the console.
CSP_LISTENER = """document.addEventListener("securitypolicyviolation", (event) => console.error(
  `CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || "inline code"} in ${event.sourceFile || event.documentURI}:${event.lineNumber}`
));"""


@pytest.fixture
def new_page(chromium, request):
    """new_page(size=...) -> a page in a fresh browser context (its own cookies). A script error
    on any page (an uncaught exception or rejected promise) fails the test, and so does any
    Content-Security-Policy violation (page.csp_violations lists them)."""
    pages, script_errors = [], []
    test_name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)
    for stale in ARTIFACTS.glob(f"{test_name}-page*"):
        stale.unlink()  # an earlier failure's pictures would mislead whoever looks after this run

    def open_page(size=(1280, 800), locale="en-US", timezone_id="Asia/Seoul"):
        context = chromium.new_context(
            viewport={"width": size[0], "height": size[1]}, locale=locale, timezone_id=timezone_id
        )
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))
        page.csp_violations = []
        page.on(
            "console",
            lambda message: message.text.startswith("CSP violation") and page.csp_violations.append(message.text),
        )
        pages.append(page)
        return page

    yield open_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for index, page in enumerate(pages):
            stem = ARTIFACTS / f"{test_name}-page{index}"
            page.screenshot(path=f"{stem}.png", full_page=True)
            Path(f"{stem}.html").write_text(page.content())
            print(f"kept {stem}.png and {stem}.html")
    violations = [violation for page in pages for violation in page.csp_violations]
    for page in pages:
        page.context.close()
    assert not script_errors, f"script errors in the page: {script_errors}"
    assert not violations, f"Content-Security-Policy violations: {violations}"


class RestartableNode:
    """A web node of its own that a test may drain and start again on the same port."""

    def __init__(self, environment: dict):
        self.current = WebNode(environment, "web-browser-restart")

    def drain_and_exit(self) -> None:
        self.current.drain()
        self.current.wait_exit()

    def start_again(self) -> None:
        self.current = self.current.restarted()


@pytest.fixture
def restartable_node(browser_environment):
    restartable = RestartableNode(browser_environment)
    yield restartable
    restartable.current.stop()
