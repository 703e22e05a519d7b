"""What the browser tests do again and again, as a person would: sign up, open a channel or a wallet,
send, pay, open a wallet's sheet; and the screenshots. The fixtures (servers, Chromium, pages) are in
conftest.py."""

import re
import time

from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from chat.models import Message
from chat.tests.live import ROOT

ARTIFACTS = ROOT / "var" / "test-artifacts"
SCREENS = ARTIFACTS / "screens"
PASSWORD = "a-long-browser-password-7"
PIN = "2468"
RECONNECT_TIMEOUT_MS = 60_000  # backoff after a restart on a busy 2-core machine
PHONE, DESKTOP = (390, 844), (1280, 800)
LOCALES = {"en": "en-US", "ko": "ko-KR"}


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


def messages(page):
    """The chat messages shown in the open channel (not the notices)."""
    return page.get_by_test_id("messages").locator(".message")


def shown_seqs(page) -> list[int]:
    """The seq of every message shown in the open channel, top to bottom."""
    return [int(seq) for seq in messages(page).evaluate_all("items => items.map(item => item.dataset.seq)")]


def send_message(page, text: str) -> None:
    page.get_by_test_id("composer").fill(text)
    page.get_by_test_id("send").click()


def sheet(page, name: str):
    """A wallet's bottom sheet (the button open-<name> under the balance opens it), opened if it is not;
    another one open is closed first. Returns the sheet: its form is inside."""
    opened = page.get_by_test_id(f"sheet-{name}")
    if not opened.is_visible():
        # As × does; a sheet whose form was just sent may be closing itself meanwhile, so no click that races it.
        page.evaluate("() => document.querySelectorAll('dialog[open]').forEach((sheet) => sheet.close())")
        page.get_by_test_id(f"open-{name}").click()
    expect(opened).to_be_visible()
    return opened


def open_wallet(page, deposit: int = 0) -> int:
    """Opens the signed-in user's wallet (and tops it up); returns its number."""
    page.get_by_test_id("my-wallet-link").click()
    page.get_by_test_id("open-wallet-form").get_by_label("PIN").fill(PIN)
    page.get_by_role("button", name="Open my wallet").click()
    expect(page.get_by_test_id("balance")).to_have_text("₩0")
    if deposit:
        form = sheet(page, "deposit")
        form.get_by_label("Amount").fill(str(deposit))
        form.get_by_role("button", name="Deposit").click()
        expect(page.get_by_test_id("balance")).to_have_text(f"₩{deposit:,}")
    return int(re.search(r"#(\d+)", page.get_by_test_id("wallet-number").inner_text()).group(1))


def send_to_number(page, number: int, amount: int, *, pin: str = PIN, expect_name: str, memo: str = "") -> None:
    """My wallet's send form: a wallet number, the amount, Next; the confirmation names the owner; the PIN."""
    form = sheet(page, "send")
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
    dues_form = sheet(treasurer, "dues")
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


def won(amount: int, language: str) -> str:
    return f"{amount:,}원" if language == "ko" else f"₩{amount:,}"


def person(new_page, node, name: str, language: str, *, deposit: int = 0, email: str | None = None):
    """A signed-up user in a browser speaking `language`, with a wallet (topped up)."""
    page = new_page(locale=LOCALES[language])
    sign_up(page, node, name, language, email)
    page.get_by_test_id("my-wallet-link").click()
    opening = page.get_by_test_id("open-wallet-form")
    opening.locator("input[name=pin]").fill(PIN)
    opening.locator("button[type=submit]").click()
    expect(page.get_by_test_id("balance")).to_have_text(won(0, language))
    if deposit:
        form = sheet(page, "deposit")
        form.locator("input[name=amount]").fill(str(deposit))
        form.locator("button[type=submit]").click()
        expect(page.get_by_test_id("balance")).to_have_text(won(deposit, language))
    page.goto(f"{node.http_url}/")
    return page


def create_channel(page, name: str) -> None:
    page.locator(".sidebar details").nth(1).locator("summary").click()
    form = page.get_by_test_id("create-channel-form")
    form.locator("input[name=name]").fill(name)
    form.locator("button[type=submit]").click()
    expect(page.get_by_role("heading", name=f"#{name}")).to_be_visible()


def join_channel(page, name: str) -> None:
    page.locator(".sidebar details").nth(0).locator("summary").click()
    page.get_by_test_id("search-input").fill(name)
    page.get_by_test_id("search-button").click()
    page.get_by_test_id(f"join-{name}").click()
    expect(page.get_by_role("heading", name=f"#{name}")).to_be_visible()


def group_wallet(treasurer, members, name: str) -> None:
    """In the treasurer's open channel: a group wallet the members join (it appears for them live)."""
    form = treasurer.get_by_test_id("group-wallet-form")
    form.locator("input[name=name]").fill(name)
    form.locator("button[type=submit]").click()
    expect(treasurer.get_by_role("heading", name=name)).to_be_visible()
    for member in members:
        link = member.get_by_test_id("group-wallets").get_by_role("link", name=name)
        expect(link).to_be_visible()  # no reload: the group_wallet_created event
        link.click()
        member.get_by_test_id("join-wallet").click()
        expect(member.get_by_test_id("join-wallet")).to_have_count(0)


def send_in_form(form, amount: int, memo: str = "") -> None:
    form.locator("input[name=amount]").fill(str(amount))
    form.locator("input[name=memo]").fill(memo)
    form.get_by_test_id("send-next").click()


def confirm_with_pin(sheet) -> None:
    """The send sheet's confirmation: the PIN, Send; the sheet closes once the server has taken it."""
    sheet.locator("input[name=pin]").fill(PIN)
    sheet.get_by_test_id("send-confirm").click()
    expect(sheet).to_be_hidden()


def user(name: str):
    return get_user_model().objects.get(username=name)


def channel_id(page) -> int:
    """The open channel's id, from the page's address (#/channel/<id>)."""
    return int(page.url.rsplit("/", 1)[1])


# What the money screens say, in each language, for the tests that check it.
SAYS = {
    "en": {
        "confirm": "Send {amount} to {name}",
        "sent": "Sent {amount} to {name}.",
        "reminded": "Reminded 1 member.",
        "reminder chat": "@{name} a reminder:",
        "reminder toast": "is not paid yet",
        "waiting": "Waiting for approvals: 0 of 1.",
        "released": "Approved: the money has moved.",
        "cannot leave": "hand it to another member before you leave",
        "handed you": "{name} handed you the group wallet {wallet}: you are its treasurer now.",
        "weekly": "weekly",
        "next due": "next due",
        "statement": "Entry no.,Transfer no.,Time (Asia/Seoul),Kind,Amount",
        "kinds": ["Top-up", "Transfer", "Withdrawal"],
    },
    "ko": {
        "confirm": "{name}",
        "sent": "{name} 님에게 {amount}을 보냈습니다.",
        "reminded": "1명에게 알림을 보냈습니다.",
        "reminder chat": "@{name} 알림:",
        "reminder toast": "아직 내지 않았습니다",
        "waiting": "승인을 기다립니다: 1명 중 0명 승인.",
        "released": "승인했습니다. 돈이 이체되었습니다.",
        "cannot leave": "나가기 전에 다른 멤버에게 총무를 넘겨 주세요",
        "handed you": "{name} 님에게서 모임통장 {wallet}의 총무를 넘겨받았습니다. 이제 이 통장은 내가 관리합니다.",
        "weekly": "매주",
        "next due": "다음 납부일",
        "statement": "항목 번호,거래 번호,일시 (Asia/Seoul),구분,금액",
        "kinds": ["충전", "이체", "출금"],
    },
}
