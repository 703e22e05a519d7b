"""A tour of the main pages at phone and desktop size: each page fits the screen without sideways
scrolling, and its screenshot is kept in var/test-artifacts/screens/ for people to look at."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from chat.models import Message
from chat.tests.live import post_json
from tests.browser.helpers import (
    PASSWORD,
    PHONE,
    SCREENS,
    confirm_with_pin,
    create_channel,
    group_wallet,
    group_wallet_with_dues,
    join_channel,
    messages,
    open_wallet,
    person,
    send_in_form,
    send_message,
    sheet,
    shoot,
    sign_up,
    wait_stored,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_main_pages_fit_a_phone_and_a_desktop(node, new_page):
    visitor = new_page()
    visitor.goto(f"{node.http_url}/accounts/signup/")
    visitor.get_by_label("Email").fill("not-an-email")
    visitor.get_by_label("Password").fill("short")
    visitor.get_by_role("button", name="Sign up").click()
    expect(visitor.locator(".field-error[data-field=email]")).to_be_visible()
    shoot(visitor, "signup-errors")
    visitor.goto(f"{node.http_url}/accounts/signin/")
    visitor.get_by_label("Email").fill("nobody@example.com")
    visitor.get_by_label("Password").fill(PASSWORD)
    visitor.get_by_role("button", name="Sign in").click()
    expect(visitor.locator(".field-error[data-field=password]")).to_have_text("The email or password is not right.")
    shoot(visitor, "signin-error")

    ana, ben = new_page(), new_page()
    sign_up(ana, node, "ana")
    sign_up(ben, node, "ben")
    open_wallet(ana, deposit=120_000)
    open_wallet(ben, deposit=30_000)
    shoot(ana, "wallet")

    ana.goto(f"{node.http_url}/")
    create_channel(ana, "climbing-club")
    create_channel(ana, "weekend-trips")
    ben.goto(f"{node.http_url}/")
    join_channel(ben, "climbing-club")
    join_channel(ben, "weekend-trips")
    for text in ("Who is in for Saturday at the crag?", "Bring the long rope, the route is 30 m."):
        send_message(ana, text)
    send_message(ben, "Me! I can drive two people from the station.")
    ben.get_by_test_id("channel-climbing-club").click()
    send_message(ben, "See you at nine.")
    expect(ana.get_by_test_id("channel-climbing-club").locator(".badge")).to_have_text("1")
    ben.get_by_test_id("channel-weekend-trips").click()
    ben.get_by_test_id("composer").press_sequentially("typing")
    expect(ana.get_by_test_id("typing")).to_have_text("ben is typing…")
    shoot(ana, "chat")

    group_wallet_with_dues(ana, ben, name="trip fund", title="Mountain hut, two nights", amount=45_000)
    shoot(ana, "group-wallet")

    ben.goto(f"{node.http_url}/")
    shoot(ben, "channel-list")
    ben.get_by_test_id("channel-weekend-trips").click()
    expect(ben.get_by_test_id("messages").get_by_test_id("dues-card")).to_contain_text("Mountain hut")
    shoot(ben, "dues-card")
    ben.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    ben.get_by_test_id("toggle-panel").click()
    expect(ben.get_by_test_id("members")).to_contain_text("ana")
    path = SCREENS / "members-panel-390x844.png"
    ben.screenshot(path=str(path))
    print(f"screenshot {path}")


def test_the_money_pages_in_korean_fit_a_phone_and_a_desktop(node, new_page):
    """The Korean tour: sending with its confirmation, a group wallet with dues, a reminder, an
    approval rule and a transfer waiting for approval, the approvals page, the chat with the cards."""
    ana = person(new_page, node, "지수", "ko", deposit=300_000, email="jisu@example.com")
    ben = person(new_page, node, "민준", "ko", deposit=80_000, email="minjun@example.com")
    create_channel(ana, "등산모임")
    join_channel(ben, "등산모임")
    send_message(ana, "이번 주 토요일 북한산 갑니다. 회비는 모임통장으로 보내 주세요!")
    send_message(ben, "네, 참석합니다 🙌")
    group_wallet(ana, [ben], "등산 모임통장")

    pay_in = sheet(ana, "pay-in")
    send_in_form(pay_in, 200_000, memo="초기 자금")
    confirm_with_pin(pay_in)
    dues = sheet(ana, "dues")
    dues.locator("input[name=title]").fill("12월 회비")
    dues.locator("input[name=amount]").fill("30000")
    dues.locator("input[name=due_date]").fill("2030-12-31")
    dues.locator("button[type=submit]").click()
    ana.get_by_test_id("dues-card").get_by_test_id("dues-remind").click()
    policy = sheet(ana, "policy")
    policy.locator("input[name=threshold]").fill("100000")
    policy.get_by_test_id("policy-approvers").get_by_label("민준").check()
    policy.locator("input[name=required]").fill("1")
    policy.locator("button[type=submit]").click()
    send_out = sheet(ana, "send-out")
    send_out.locator("select[name=recipient]").select_option(label="민준")
    send_in_form(send_out, 150_000, memo="산장 예약")
    confirm_with_pin(send_out)
    expect(ana.get_by_test_id("approval-policy")).to_contain_text("100,000원")
    ana.locator(".toast").first.wait_for(state="detached", timeout=10_000)
    ana.locator(".wallet-view").evaluate("view => view.scrollTo(0, 0)")
    shoot(ana, "ko-group-wallet")

    ben.get_by_test_id("my-wallet-link").click()
    form = sheet(ben, "send")
    form.locator("select[name=recipient]").select_option(label="지수")
    send_in_form(form, 12_000, memo="지난번 택시비")
    expect(form.get_by_test_id("send-summary")).to_contain_text("12,000원")
    shoot(ben, "ko-send-confirmation")
    form.get_by_test_id("sheet-close").click()  # not sent: the sheet closes over the wallet
    expect(form).to_be_hidden()

    ben.get_by_test_id("approvals-link").click()
    expect(ben.get_by_test_id("approvals")).to_contain_text("150,000원")
    shoot(ben, "ko-approvals")

    ben.get_by_test_id("channel-등산모임").click()
    expect(ben.get_by_test_id("messages")).to_contain_text("@민준 알림")
    shoot(ben, "ko-chat")


def test_the_chat_features_fit_a_phone_and_a_desktop(node, new_page):
    """Edits, deletions, reactions, replies, mentions, search, read counts, presence, the owner's
    settings, private channels' lock, days and the first unread: one screenshot each."""
    ana, ben = new_page(), new_page()
    sign_up(ana, node, "ana")
    sign_up(ben, node, "ben")
    create_channel(ana, "book-club")
    join_channel(ben, "book-club")
    ben.get_by_test_id("channel-book-club").click()
    room = int(ana.url.rsplit("/", 1)[1])
    author = get_user_model().objects.get(username="ana")
    for number in range(1, 4):
        post_json(node, f"/api/channels/{room}/messages", author, {"body": f"Yesterday's note {number}"})
    wait_stored(room, 3)
    Message.objects.filter(channel_id=room).update(created_at=timezone.now() - timedelta(days=1))
    ana.reload()
    ben.goto(f"{node.http_url}/")
    for text in ("This month we read Pachinko.", "Who has finished it?", "A typo here"):
        send_message(ana, text)
    ben.get_by_test_id("channel-book-club").click()
    expect(ben.get_by_test_id("new-messages")).to_be_visible()
    shoot(ben, "chat-days-and-new-messages")

    ana.on("dialog", lambda dialog: dialog.accept())
    mine = messages(ana).filter(has_text="A typo here")
    mine.get_by_test_id("more").click()
    mine.get_by_test_id("delete").click()
    question = messages(ana).filter(has_text="This month we read Pachinko.")
    question.get_by_test_id("more").click()
    question.get_by_test_id("edit").click()
    ana.get_by_test_id("composer").fill("This month we read Pachinko by Min Jin Lee.")
    ana.get_by_test_id("composer").press("Enter")
    answer = messages(ben).filter(has_text="Who has finished it?")
    answer.get_by_test_id("more").click()
    answer.get_by_role("button", name="React with 🙏").click()
    answer.get_by_test_id("more").click()
    answer.get_by_test_id("reply").click()
    ben.get_by_test_id("composer").press_sequentially("Almost done, @a")
    expect(ben.get_by_test_id("mention-picker")).to_have_text("@ana")
    shoot(ben, "chat-reply-and-mention")
    ben.get_by_test_id("composer").press("Enter")
    ben.get_by_test_id("composer").press("Enter")
    expect(messages(ana).filter(has_text="Almost done")).to_have_class("message mentions-me")
    expect(messages(ana).filter(has_text="by Min Jin Lee").get_by_test_id("edited")).to_be_visible()
    shoot(ana, "chat-edited-deleted-reacted-read-counts")

    ana.get_by_test_id("toggle-search").click()
    ana.get_by_test_id("message-search-input").fill("note")
    ana.get_by_test_id("message-search-button").click()
    expect(ana.get_by_test_id("message-search-hit")).to_have_count(3)
    shoot(ana, "chat-search")

    settings = ana.get_by_test_id("channel-settings")
    settings.get_by_text("Channel settings").click()
    password = ana.get_by_test_id("channel-password-form")
    password.get_by_label("New password").fill("a-secret-shelf")
    password.get_by_role("button", name="Set password").click()
    expect(ana.locator(".channel-header").get_by_test_id("lock")).to_be_visible()
    ana.get_by_test_id("channel-settings").get_by_text("Channel settings").click()
    expect(ana.get_by_test_id("member-ben")).to_have_attribute("data-online", "true")
    ana.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    ana.get_by_test_id("toggle-panel").click()
    for width, height in (PHONE, (1280, 800)):
        ana.set_viewport_size({"width": width, "height": height})
        path = SCREENS / f"chat-owner-settings-and-presence-{width}x{height}.png"
        ana.get_by_test_id("channel-settings").scroll_into_view_if_needed()
        ana.screenshot(path=str(path))
        print(f"screenshot {path}")
    ana.keyboard.press("Escape")
    ana.goto(f"{node.http_url}/")
    shoot(ana, "channel-list-private-lock")


def test_a_korean_clubs_chat_fits_a_phone_and_a_desktop(node, new_page):
    """The Korean chat a club uses daily: the channel list, a channel opened at its newest message
    with the dues card, the '새 메시지 ↓' hint, the mention list by initial consonant, the statement
    and the offline status."""
    ana = person(new_page, node, "지수", "ko", deposit=100_000, email="jisu@example.com")
    ben = person(new_page, node, "최민준", "ko", deposit=80_000, email="minjun@example.com")
    ana.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    create_channel(ana, "등산모임")
    join_channel(ben, "등산모임")
    room = int(ana.url.rsplit("/", 1)[1])
    jisu = get_user_model().objects.get(username="지수")
    for text in (
        "이번 주 토요일 북한산 갑니다 ⛰️",
        "8시 구파발역 2번 출구에서 만나요",
        "점심은 각자 준비해 주세요",
        "비 오면 다음 주로 미룹니다",
    ):
        post_json(node, f"/api/channels/{room}/messages", jisu, {"body": text})
    group = post_json(node, f"/api/channels/{room}/group-wallets", jisu, {"name": "등산 모임통장"})
    post_json(node, f"/api/wallets/{group['id']}/dues", jisu, {"title": "12월 회비", "amount": 30000})
    ben.goto(f"{node.http_url}/")
    expect(ben.get_by_test_id("channel-등산모임")).to_be_visible()
    shoot(ben, "ko-channel-list")

    ben.get_by_test_id("channel-등산모임").click()
    expect(ben.get_by_test_id("dues-pay")).to_be_visible()
    shoot(ben, "ko-chat-opened-with-dues")

    ben.get_by_test_id("messages").evaluate("list => { list.scrollTop = 0; }")
    post_json(node, f"/api/channels/{room}/messages", jisu, {"body": "회비는 금요일까지 부탁해요"})
    expect(ben.get_by_test_id("new-below")).to_be_visible()
    shoot(ben, "ko-chat-new-below")
    ben.get_by_test_id("new-below").click()

    ana.get_by_test_id("composer").press_sequentially("@ㅊ")
    expect(ana.get_by_test_id("mention-picker")).to_be_visible()
    shoot(ana, "ko-mention-initials")

    ben.context.set_offline(True)
    expect(ben.get_by_test_id("connection-status")).to_have_text("오프라인")
    shoot(ben, "ko-offline")
    ben.context.set_offline(False)
