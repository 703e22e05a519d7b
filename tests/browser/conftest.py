"""Browser tests: Playwright drives Debian's headless Chromium against a real web node (chat.realtime.server)
and Celery worker. On failure each page's screenshot and HTML are kept in var/test-artifacts/."""

import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from chat.models import Message
from chat.tests.conftest import server_environment  # noqa: F401 - the live-server fixture
from chat.tests.live import ROOT, CeleryWorker, WebNode

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "var" / "test-artifacts"
PASSWORD = "a-long-browser-password-7"
PIN = "2468"

pytestmark = pytest.mark.browser

SCREENS = ARTIFACTS / "screens"
PHONE, DESKTOP = (390, 844), (1280, 800)


def shoot(page, name: str) -> None:
    """Screenshots the page at both sizes; neither may scroll sideways."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    for width, height in (PHONE, DESKTOP):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)  # one layout pass after the resize, so the picture is not half-drawn
        path = SCREENS / f"{name}-{width}x{height}.png"
        page.screenshot(path=str(path))
        print(f"screenshot {path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}x{height}"


@pytest.fixture(scope="module")
def browser_environment(server_environment):  # noqa: F811
    """The servers' environment, with sign-up limits opened up for the many sign-ups here."""
    return {**server_environment, "THROTTLE_SIGNUP": "1000/min", "THROTTLE_SIGNIN": "1000/min"}


@pytest.fixture(scope="module")
def node(browser_environment):
    """One web node with a worker."""
    web = WebNode(browser_environment, "daphne-browser")
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


# What the pages say, in the two languages (the browser's Accept-Language chooses; see new_page's locale).
WORDS = {
    "en": {
        "email": "Email",
        "name": "Display name",
        "password": "Password",
        "sign up": "Sign up",
        "connected": "Connected",
    },
    "ko": {
        "email": "이메일",
        "name": "표시 이름",
        "password": "비밀번호",
        "sign up": "가입하기",
        "connected": "연결됨",
    },
}


def sign_up(page, node, name: str, language: str = "en", email: str | None = None) -> None:
    words = WORDS[language]
    page.goto(f"{node.http_url}/accounts/signup/")
    page.get_by_label(words["email"]).fill(email or f"{name}@example.com")
    page.get_by_label(words["name"]).fill(name)
    page.get_by_label(words["password"]).fill(PASSWORD)
    page.get_by_role("button", name=words["sign up"]).click()
    expect(page.get_by_test_id("connection-status")).to_have_text(words["connected"])


def create_channel(page, name: str) -> None:
    page.get_by_text("New channel").click()
    form = page.get_by_test_id("create-channel-form")
    form.get_by_label("Name").fill(name)
    form.get_by_role("button", name="Create channel").click()
    expect(page.get_by_role("heading", name=f"#{name}")).to_be_visible()


def join_channel(page, name: str) -> None:
    page.get_by_text("Find a channel").click()
    page.get_by_test_id("search-input").fill(name)
    page.get_by_test_id("search-button").click()
    page.get_by_test_id(f"join-{name}").click()
    expect(page.get_by_role("heading", name=f"#{name}")).to_be_visible()


def messages(page):
    """The chat messages shown in the open channel (not the notices)."""
    return page.get_by_test_id("messages").locator(".message")


def shown_seqs(page) -> list[int]:
    """The seq of every message shown in the open channel, top to bottom."""
    return [int(seq) for seq in messages(page).evaluate_all("items => items.map(item => item.dataset.seq)")]


def send_message(page, text: str) -> None:
    page.get_by_test_id("composer").fill(text)
    page.get_by_test_id("send").click()


def open_wallet(page, deposit: int = 0) -> int:
    """Opens the signed-in user's wallet (and tops it up); returns its number."""
    page.get_by_test_id("my-wallet-link").click()
    page.get_by_test_id("open-wallet-form").get_by_label("PIN").fill(PIN)
    page.get_by_role("button", name="Open my wallet").click()
    expect(page.get_by_test_id("balance")).to_have_text("₩0")
    if deposit:
        form = page.get_by_test_id("deposit-form")
        form.get_by_label("Amount").fill(str(deposit))
        form.get_by_role("button", name="Deposit").click()
        expect(page.get_by_test_id("balance")).to_have_text(f"₩{deposit:,}")
    return int(re.search(r"#(\d+)", page.get_by_test_id("wallet-number").inner_text()).group(1))


def send_to_number(page, number: int, amount: int, *, pin: str = PIN, expect_name: str, memo: str = "") -> None:
    """My wallet's send form: a wallet number, the amount, Next; the confirmation names the owner; the PIN."""
    form = page.get_by_test_id("transfer-form")
    form.get_by_label("To wallet number").fill(str(number))
    form.get_by_label("Amount").fill(str(amount))
    form.get_by_label("Memo").fill(memo)
    form.get_by_test_id("send-next").click()
    expect(form.get_by_test_id("send-summary")).to_contain_text(expect_name)
    form.get_by_label("PIN").fill(pin)
    form.get_by_test_id("send-confirm").click()


def group_wallet_with_dues(treasurer, member, *, name: str, title: str, amount: int) -> None:
    """In the treasurer's open channel: a group wallet that the member joins, then a dues request
    to both of them. The treasurer is left on the wallet's page."""
    wallet_form = treasurer.get_by_test_id("group-wallet-form")
    wallet_form.get_by_label("Name").fill(name)
    wallet_form.get_by_role("button", name="Create group wallet").click()
    expect(treasurer.get_by_role("heading", name=name)).to_be_visible()
    member.goto(treasurer.url)
    member.get_by_test_id("join-wallet").click()
    expect(member.get_by_test_id("join-wallet")).to_have_count(0)
    dues_form = treasurer.get_by_test_id("dues-form")
    dues_form.get_by_label("Title").fill(title)
    dues_form.get_by_label("Amount each").fill(str(amount))
    dues_form.get_by_role("button", name="Request dues").click()
    expect(treasurer.get_by_test_id("dues-card")).to_contain_text("0 of 2 paid")


def wait_stored(channel: int, count: int, timeout: float = 30) -> None:
    """Waits until the persistence worker has written `count` messages of the channel to the store."""
    deadline = time.monotonic() + timeout
    while Message.objects.filter(channel_id=channel).count() < count:
        assert time.monotonic() < deadline, f"the worker did not store {count} messages in {timeout}s"
        time.sleep(0.2)
