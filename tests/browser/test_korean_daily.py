"""A Korean hiking club on phones, as its members use the messenger every day: Hangul typed through
an input method (Chromium's own, driven through the DevTools protocol), opening a channel at its
newest message, mentions by Korean names, typing notices and dues that ask every member."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from chat.models import Message
from chat.tests.live import post_json, request_json
from tests.browser.helpers import (
    PHONE,
    PIN,
    channel_id,
    create_channel,
    join_channel,
    messages,
    person,
    send_message,
    sheet,
    shoot,
    sign_up,
    user,
    wait_stored,
)
from wallets.models import LedgerEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def korean(new_page, node, name: str, email: str):
    """A member on a Korean phone, signed up and on the channel list."""
    page = new_page(size=PHONE, locale="ko-KR")
    sign_up(page, node, name, "ko", email)
    return page


def hiking_club(new_page, node):
    """이지은 (the treasurer) and 최민수 on Korean phones, both in #등산모임."""
    jiun = korean(new_page, node, "이지은", "jieun@example.com")
    minsu = korean(new_page, node, "최민수", "minsu@example.com")
    create_channel(jiun, "등산모임")
    join_channel(minsu, "등산모임")
    return jiun, minsu


def compose(page, text: str, composing: str):
    """Types `text` through the input method, then starts the syllable `composing` and leaves it
    uncommitted (the underlined syllable of a Korean keyboard); returns the DevTools session."""
    cdp = page.context.new_cdp_session(page)
    page.get_by_test_id("composer").focus()
    cdp.send("Input.insertText", {"text": text})
    cdp.send(
        "Input.imeSetComposition", {"text": composing, "selectionStart": len(composing), "selectionEnd": len(composing)}
    )
    return cdp


def enter_while_composing(cdp):
    """Enter pressed while a syllable is still being composed: the keyboard's keydown (key code 229
    while an input method holds the key), then the input method commits the syllable."""
    cdp.send(
        "Input.dispatchKeyEvent", {"type": "rawKeyDown", "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 229}
    )
    cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13})


def test_enter_while_a_syllable_is_composed_does_not_send_half_a_message(node, new_page):
    jiun = korean(new_page, node, "이지은", "jieun@example.com")
    create_channel(jiun, "등산모임")
    cdp = compose(jiun, "산행 후 뒤풀이 가실 분", "요")
    enter_while_composing(cdp)
    cdp.send("Input.insertText", {"text": "요"})  # the input method commits the syllable
    expect(jiun.get_by_test_id("composer")).to_have_value("산행 후 뒤풀이 가실 분요")
    expect(messages(jiun)).to_have_count(0)

    jiun.get_by_test_id("composer").press("Enter")  # the syllable is done: now Enter sends
    expect(messages(jiun)).to_have_count(1)
    expect(messages(jiun).first.locator(".body")).to_have_text("산행 후 뒤풀이 가실 분요")
    expect(jiun.get_by_test_id("composer")).to_have_value("")


def test_enter_while_composing_a_name_does_not_pick_from_the_mention_list(node, new_page):
    jiun, minsu = hiking_club(new_page, node)
    expect(jiun.get_by_test_id("members")).to_contain_text("최민수")
    cdp = compose(jiun, "내일 ", "@최")
    expect(jiun.get_by_test_id("mention-최민수")).to_be_visible()
    enter_while_composing(cdp)
    cdp.send("Input.insertText", {"text": "@최"})
    expect(jiun.get_by_test_id("composer")).to_have_value("내일 @최")
    expect(messages(jiun)).to_have_count(0)
    jiun.get_by_test_id("composer").press("Enter")  # composed: Enter takes the name
    expect(jiun.get_by_test_id("composer")).to_have_value("내일 @최민수 ")


def test_the_mention_list_finds_korean_names_by_their_first_consonants(node, new_page):
    jiun = korean(new_page, node, "이지은", "jieun@example.com")
    create_channel(jiun, "등산모임")
    for name, email in (("최민수", "minsu@example.com"), ("차은우", "eunwoo@example.com")):
        join_channel(korean(new_page, node, name, email), "등산모임")
        expect(jiun.get_by_test_id("members")).to_contain_text(name)
    composer = jiun.get_by_test_id("composer")
    picker = jiun.get_by_test_id("mention-picker")

    composer.press_sequentially("@ㅊ")
    expect(picker.get_by_role("option")).to_have_text(["@최민수", "@차은우"])
    composer.press_sequentially("ㅁ")
    expect(picker.get_by_role("option")).to_have_text(["@최민수"])
    composer.fill("")
    composer.press_sequentially("@초")  # 최 on its way: the input method shows 초 first
    expect(picker.get_by_role("option")).to_have_text(["@최민수"])
    composer.fill("")
    composer.press_sequentially("@차")
    expect(picker.get_by_role("option")).to_have_text(["@차은우"])
    composer.press("Enter")
    expect(composer).to_have_value("@차은우 ")


def test_a_channel_opens_at_its_newest_message_and_stays_there(node, new_page):
    jiun, minsu = hiking_club(new_page, node)
    room, treasurer = channel_id(jiun), user("이지은")
    minsu.goto(f"{node.http_url}/")  # on the list of channels while the club talks
    for number in range(1, 26):
        post_json(node, f"/api/channels/{room}/messages", treasurer, {"body": f"토요일 산행 준비물 {number}"})
    wallet = post_json(node, f"/api/channels/{room}/group-wallets", treasurer, {"name": "등산 모임통장"})
    post_json(node, f"/api/wallets/{wallet['id']}/dues", treasurer, {"title": "12월 회비", "amount": 30000})
    expect(jiun.get_by_test_id("dues-card")).to_be_visible()  # the card is posted

    minsu.get_by_test_id("channel-등산모임").click()
    pay = minsu.get_by_test_id("dues-pay")
    expect(pay).to_be_visible()  # the card filled in after the channel opened
    expect(pay).to_be_in_viewport(ratio=1)

    post_json(node, f"/api/channels/{room}/messages", treasurer, {"body": "정상에서 만나요"})
    arrived = messages(minsu).filter(has_text="정상에서 만나요")
    expect(arrived).to_be_in_viewport(ratio=1)
    expect(minsu.get_by_test_id("new-below")).to_be_hidden()

    minsu.get_by_test_id("messages").evaluate("list => { list.scrollTop = 0; }")  # reading back
    post_json(node, f"/api/channels/{room}/messages", treasurer, {"body": "출발합니다"})
    hint = minsu.get_by_test_id("new-below")
    expect(hint).to_have_text("새 메시지 ↓")
    latest = messages(minsu).filter(has_text="출발합니다")
    expect(latest).not_to_be_in_viewport()  # the reader was not pulled away from what they read
    hint.click()
    expect(latest).to_be_in_viewport(ratio=1)
    expect(hint).to_be_hidden()


def test_others_messages_carry_an_initial_avatar_and_a_run_of_messages_names_its_sender_once(node, new_page):
    jiun, minsu = hiking_club(new_page, node)
    room, treasurer = channel_id(jiun), user("이지은")
    for body in ["토요일 산행 가실 분?", "7시 수유역 출발이에요"]:
        post_json(node, f"/api/channels/{room}/messages", treasurer, {"body": body})
    send_message(minsu, "저요!")
    post_json(node, f"/api/channels/{room}/messages", treasurer, {"body": "좋아요"})

    cards = messages(minsu)
    expect(cards).to_have_count(4)
    first, second, mine, after_mine = (cards.nth(index) for index in range(4))
    expect(first.locator(".avatar")).to_have_text("지은")  # the given name, not 이 shared by half the club
    expect(first.locator(".meta strong")).to_have_text("이지은")
    expect(second.locator(".avatar")).to_be_hidden()  # the run goes on under the first one's name
    expect(second.locator(".meta strong")).to_be_hidden()
    expect(second.locator(".body")).to_have_text("7시 수유역 출발이에요")
    expect(mine.locator(".avatar")).to_have_count(0)  # my own messages need no face
    expect(after_mine.locator(".avatar")).to_be_visible()  # a reply between starts a new run
    expect(after_mine.locator(".meta strong")).to_have_text("이지은")
    colour = "card => getComputedStyle(card.querySelector('.avatar')).backgroundColor"
    assert first.evaluate(colour) == after_mine.evaluate(colour)  # one person, one colour
    expect(messages(jiun).nth(2).locator(".avatar")).to_have_text("민수")
    shoot(minsu, "ko-chat-avatars")

    # Half an hour later is a new run, with the name and the avatar again.
    wait_stored(room, 4)
    Message.objects.filter(channel_id=room).update(created_at=timezone.now() - timedelta(minutes=30))
    post_json(node, f"/api/channels/{room}/messages", treasurer, {"body": "우비 챙기세요"})
    minsu.reload()
    expect(cards).to_have_count(5)
    expect(cards.nth(4).locator(".avatar")).to_be_visible()
    expect(cards.nth(4).locator(".meta strong")).to_have_text("이지은")


def test_dues_ask_every_member_of_the_channel_and_whoever_joins_later(node, new_page):
    jiun = korean(new_page, node, "이지은", "jieun@example.com")
    minsu = korean(new_page, node, "최민수", "minsu@example.com")
    create_channel(jiun, "등산모임")
    join_channel(minsu, "등산모임")  # in the channel, never joined its group wallet
    room, treasurer = channel_id(jiun), user("이지은")
    wallet = post_json(node, f"/api/channels/{room}/group-wallets", treasurer, {"name": "등산 모임통장"})
    post_json(node, f"/api/wallets/{wallet['id']}/dues", treasurer, {"title": "12월 회비", "amount": 30000})

    card = minsu.get_by_test_id("dues-card")
    expect(card.get_by_test_id("dues-progress")).to_have_text("2명 중 0명 납부")
    expect(card.get_by_test_id("dues-who")).to_have_text(
        "채널 멤버 모두에게 요청합니다. 마감 전에 들어오는 멤버도 함께 요청받습니다."
    )
    expect(card.get_by_test_id("dues-pay")).to_be_visible()
    expect(jiun.get_by_test_id("dues-member-최민수")).to_be_visible()

    eunwoo = korean(new_page, node, "차은우", "eunwoo@example.com")
    join_channel(eunwoo, "등산모임")
    expect(jiun.get_by_test_id("dues-progress")).to_have_text("3명 중 0명 납부")  # live, on the treasurer's card
    expect(eunwoo.get_by_test_id("dues-card").get_by_test_id("dues-pay")).to_be_visible()
    expect(jiun.get_by_test_id("dues-remind")).to_be_visible()


# Keeps in window.typingWhenShown what the typing line said at the moment a message with this text was shown.
WATCH_TYPING = """text => {
  const list = document.querySelector('[data-testid=messages]');
  new MutationObserver((changes, observer) => {
    const shown = [...list.querySelectorAll('.message .body')].some(body => body.textContent === text);
    if (!shown) return;
    observer.disconnect();
    window.typingWhenShown = document.querySelector('[data-testid=typing]').textContent;
  }).observe(list, { childList: true, subtree: true });
}"""


def test_the_typing_notice_goes_when_that_persons_message_arrives(node, new_page):
    jiun, minsu = hiking_club(new_page, node)
    expect(jiun.get_by_test_id("members")).to_contain_text("최민수")
    minsu.get_by_test_id("composer").press_sequentially("저도 갈게요")
    expect(jiun.get_by_test_id("typing")).to_have_text("최민수 님이 입력 중…")

    jiun.evaluate(WATCH_TYPING, "저도 갈게요")
    minsu.get_by_test_id("composer").press("Enter")
    jiun.wait_for_function("() => window.typingWhenShown !== undefined")
    assert jiun.evaluate("window.typingWhenShown") == ""  # gone with the message, not seconds later
    expect(jiun.get_by_test_id("typing")).to_have_text("")


def test_a_refused_amount_names_the_field_in_korean_and_says_the_limit_as_money(node, new_page):
    jiun = korean(new_page, node, "이지은", "jieun@example.com")
    jiun.get_by_test_id("my-wallet-link").click()
    opening = jiun.get_by_test_id("open-wallet-form")
    opening.locator("input[name=pin]").fill("2468")
    opening.locator("button[type=submit]").click()
    form = sheet(jiun, "deposit")
    form.locator("input[name=amount]").fill(str(10**16))
    form.locator("button[type=submit]").click()
    expect(jiun.get_by_test_id("deposit-form-error")).to_have_text(
        "금액: 최대 1,000,000,000,000,000원까지 입력할 수 있습니다."
    )
    expect(jiun.get_by_test_id("balance")).to_have_text("0원")

    schedule = sheet(jiun, "schedule")
    schedule.locator("input[name=to_wallet]").fill("1")
    schedule.locator("input[name=amount]").fill("10000")
    schedule.locator("input[name=execute_at]").fill("2020-01-01T09:00")  # long gone
    schedule.locator("input[name=pin]").fill("2468")
    schedule.locator("button[type=submit]").click()
    expect(jiun.get_by_test_id("schedule-form-error")).to_contain_text("첫 실행: ")
    expect(jiun.get_by_test_id("schedule-form-error")).not_to_contain_text("execute_at")


def test_a_phone_that_loses_its_network_says_so_and_the_others_see_it_go_offline(node, new_page):
    jiun, minsu = hiking_club(new_page, node)
    jiun.reload()  # the subscribe's snapshot says who is online
    jiun.get_by_test_id("toggle-panel").click()
    expect(jiun.get_by_test_id("member-최민수")).to_have_attribute("data-online", "true")

    minsu.context.set_offline(True)  # the phone's network drops
    expect(minsu.get_by_test_id("connection-status")).to_have_text("오프라인")
    expect(jiun.get_by_test_id("member-최민수")).to_have_attribute("data-online", "false", timeout=15_000)

    minsu.context.set_offline(False)
    expect(minsu.get_by_test_id("connection-status")).to_have_text("연결됨", timeout=15_000)
    expect(jiun.get_by_test_id("member-최민수")).to_have_attribute("data-online", "true", timeout=15_000)


def test_a_dues_payment_tells_the_treasurer_it_reached_the_club_wallet_in_korean(node, new_page):
    jiun, minsu = hiking_club(new_page, node)
    room, treasurer, member = channel_id(jiun), user("이지은"), user("최민수")
    wallet = post_json(node, "/api/wallets", member, {"pin": "2468"})
    post_json(node, f"/api/wallets/{wallet['id']}/deposit", member, {"amount": 50000})
    group = post_json(node, f"/api/channels/{room}/group-wallets", treasurer, {"name": "등산 모임통장"})
    post_json(node, f"/api/wallets/{group['id']}/dues", treasurer, {"title": "12월 회비", "amount": 30000})

    pay = minsu.get_by_test_id("dues-pay")
    pay.locator("input[name=pin]").fill("2468")
    pay.locator("button[type=submit]").click()
    expect(jiun.locator(".toast").last).to_have_text("최민수 님이 “12월 회비” 30,000원을 등산 모임통장에 냈습니다.")
    expect(jiun.get_by_test_id("dues-progress")).to_have_text("2명 중 1명 납부")


def test_a_wrong_pin_in_the_chats_dues_card_shows_its_error_on_a_phone(node, new_page):
    jiun, minsu = hiking_club(new_page, node)
    room, treasurer, member = channel_id(jiun), user("이지은"), user("최민수")
    wallet = post_json(node, "/api/wallets", member, {"pin": "2468"})
    post_json(node, f"/api/wallets/{wallet['id']}/deposit", member, {"amount": 50000})
    for number in range(1, 16):
        post_json(node, f"/api/channels/{room}/messages", treasurer, {"body": f"산행 공지 {number}"})
    group = post_json(node, f"/api/channels/{room}/group-wallets", treasurer, {"name": "등산 모임통장"})
    post_json(node, f"/api/wallets/{group['id']}/dues", treasurer, {"title": "12월 회비", "amount": 30000})
    for text in ("다들 확인 부탁해요", "금요일까지요"):
        post_json(node, f"/api/channels/{room}/messages", treasurer, {"body": text})

    pay = minsu.get_by_test_id("dues-pay")
    pay.locator("input[name=pin]").fill("1111")
    pay.locator("button[type=submit]").click()
    error = minsu.get_by_test_id("dues-pay-error")
    expect(error).to_contain_text("PIN")
    expect(error).to_be_in_viewport(ratio=1)


def test_the_top_bar_keeps_settings_and_sign_out_on_an_english_phone(node, new_page):
    ana = new_page(size=PHONE)
    sign_up(ana, node, "ana")
    for item in (
        ana.get_by_text("Settings"),
        ana.get_by_role("button", name="Sign out"),
        ana.get_by_test_id("connection-status"),
    ):
        expect(item).to_be_in_viewport(ratio=1)
    assert ana.locator(".topbar").evaluate("bar => bar.scrollWidth - bar.clientWidth") <= 0


def test_the_language_menu_names_each_language_in_itself(node, new_page):
    jiun = korean(new_page, node, "이지은", "jieun@example.com")
    jiun.get_by_test_id("preferences").locator("summary").click()
    options = jiun.get_by_test_id("language-select").locator("option")
    expect(options).to_have_text(["브라우저 설정대로", "English", "한국어"])


def test_the_approval_rule_form_shows_the_saved_rule_after_saving_and_on_reopening(node, new_page):
    jiun, minsu = hiking_club(new_page, node)
    wallet = post_json(
        node, f"/api/channels/{channel_id(jiun)}/group-wallets", user("이지은"), {"name": "등산 모임통장"}
    )
    post_json(node, f"/api/wallets/{wallet['id']}/join", user("최민수"), {})
    jiun.goto(f"{node.http_url}/#/wallet/{wallet['id']}")

    policy = sheet(jiun, "policy")
    policy.locator("input[name=threshold]").fill("100000")
    policy.get_by_test_id("policy-window").select_option("week")
    policy.get_by_test_id("policy-approvers").get_by_label("최민수").check()
    policy.locator("input[name=required]").fill("1")
    policy.locator("button[type=submit]").click()
    expect(jiun.get_by_test_id("approval-policy")).to_contain_text("100,000원")

    for _ in ("after saving", "on reopening"):
        policy = sheet(jiun, "policy")
        expect(policy.locator("input[name=threshold]")).to_have_value("100000")
        expect(policy.get_by_test_id("policy-window")).to_have_value("week")
        expect(policy.get_by_test_id("policy-approvers").get_by_label("최민수")).to_be_checked()
        expect(policy.locator("input[name=required]")).to_have_value("1")
        jiun.reload()
        expect(jiun.get_by_test_id("approval-policy")).to_contain_text("100,000원")


def test_the_channel_list_shows_each_channels_last_message_and_its_time_live(node, new_page, tmp_path):
    from PIL import Image

    jiun, minsu = hiking_club(new_page, node)
    post_json(node, "/api/channels", user("이지은"), {"name": "회계"})
    jiun.goto(f"{node.http_url}/")  # the phone's channel list
    hiking = jiun.get_by_test_id("channel-등산모임").get_by_test_id("last-message")

    send_message(minsu, "내일 7시 수유역 2번 출구에서 만나요")
    expect(hiking.locator(".preview")).to_have_text("내일 7시 수유역 2번 출구에서 만나요")
    expect(hiking.locator("time")).to_have_text(re.compile(r"^(오전|오후)? ?\d{1,2}:\d{2}$"))  # today: its time

    path = tmp_path / "IMG_0412.jpg"
    Image.new("RGB", (800, 600), (46, 139, 87)).save(path, format="JPEG")
    with minsu.expect_file_chooser() as chooser:
        minsu.get_by_test_id("send-photo").click()
    chooser.value.set_files(str(path))
    expect(hiking.locator(".preview")).to_have_text("사진")

    jiun.reload()  # from GET /api/channels/mine
    expect(hiking.locator(".preview")).to_have_text("사진")
    expect(jiun.get_by_test_id("channel-회계").get_by_test_id("last-message")).to_have_count(0)
    shoot(jiun, "ko-channel-list-last-message")


def test_the_wallet_names_where_the_money_goes_and_says_a_top_up_once(node, new_page):
    jiun = person(new_page, node, "이지은", "ko", deposit=50_000, email="jieun@example.com")
    create_channel(jiun, "등산모임")
    treasurer = user("이지은")
    club = post_json(node, f"/api/channels/{channel_id(jiun)}/group-wallets", treasurer, {"name": "등산 모임통장"})
    mine = next(w for w in request_json(node, "GET", "/api/wallets/mine", treasurer) if w["kind"] == "personal")
    post_json(
        node,
        "/api/scheduled-transfers",
        treasurer,
        {
            "from_wallet": mine["id"],
            "to_wallet": club["id"],
            "amount": 5000,
            "pin": PIN,
            "execute_at": "2030-01-05T09:00:00+09:00",
            "repeat": "monthly",
        },
    )
    jiun.goto(f"{node.http_url}/#/wallet")
    scheduled = jiun.get_by_test_id("scheduled")
    expect(scheduled).to_contain_text("등산 모임통장에 5,000원 · 매월 · 진행 중")
    expect(scheduled).not_to_contain_text("#")
    top_up = jiun.get_by_test_id("history").locator("li").filter(has_text="+50,000원")
    expect(top_up.locator(".what")).to_have_text("충전")  # not "충전 · 충전"
    shoot(jiun, "ko-my-wallet")


def test_the_phone_header_keeps_its_details_button_on_one_line_and_common_time_zones_come_first(node, new_page):
    jiun = korean(new_page, node, "이지은", "jieun@example.com")
    create_channel(jiun, "북한산 둘레길 완주를 목표로 하는 토요일 아침 등산 모임")
    details = jiun.get_by_test_id("toggle-panel")
    expect(details).to_have_text("상세")
    lines = details.evaluate(
        "b => { const r = document.createRange(); r.selectNodeContents(b);"
        " return new Set([...r.getClientRects()].map(line => Math.round(line.top))).size; }"
    )
    assert lines == 1, f"상세 takes {lines} lines"
    # A Korean word is never cut at the end of a line (워드 브레이크: keep-all).
    assert jiun.locator("body").evaluate("b => getComputedStyle(b).wordBreak") == "keep-all"
    shoot(jiun, "ko-channel-long-name")

    jiun.get_by_test_id("preferences").locator("summary").click()
    zones = jiun.get_by_test_id("time-zone-select")
    first = zones.locator("option").evaluate_all("options => options.slice(0, 4).map(o => o.value)")
    assert first == ["", "Asia/Seoul", "UTC", "Asia/Tokyo"]
    expect(zones.locator("optgroup")).to_have_count(2)
    assert zones.locator("option[value='Asia/Seoul']").count() == 1  # not twice


def test_the_approvals_page_asks_the_pin_once_and_rejects_with_it(node, new_page):
    jiun = person(new_page, node, "이지은", "ko", deposit=50_000, email="jieun@example.com")
    minsu = person(new_page, node, "최민수", "ko", email="minsu@example.com")
    create_channel(jiun, "등산모임")
    join_channel(minsu, "등산모임")
    treasurer, approver = user("이지은"), user("최민수")
    club = post_json(node, f"/api/channels/{channel_id(jiun)}/group-wallets", treasurer, {"name": "등산 모임통장"})
    post_json(node, f"/api/wallets/{club['id']}/join", approver, {})
    mine = next(w for w in request_json(node, "GET", "/api/wallets/mine", treasurer) if w["kind"] == "personal")
    post_json(
        node,
        "/api/transfers",
        treasurer,
        {"from_wallet": mine["id"], "to_wallet": club["id"], "amount": 30_000, "pin": PIN},
    )
    post_json(
        node,
        f"/api/wallets/{club['id']}/approval-policy",
        treasurer,
        {"threshold": 10_000, "window": "transfer", "approvers": [approver.pk], "required": 1},
    )
    post_json(
        node,
        "/api/transfers",
        treasurer,
        {"from_wallet": club["id"], "to_wallet": mine["id"], "amount": 20_000, "pin": PIN, "memo": "산장 예약"},
    )

    minsu.goto(f"{node.http_url}/#/approvals")
    request = minsu.get_by_test_id("approvals").locator(".approval")
    expect(request).to_contain_text("20,000원")
    expect(request.locator("input[name=pin]")).to_have_count(1)  # one PIN box, two buttons
    expect(request.get_by_role("button", name="승인", exact=True)).to_be_visible()
    request.locator("input[name=pin]").fill(PIN)
    request.get_by_role("button", name="거절", exact=True).click()
    expect(minsu.locator(".toast").last).to_have_text("거절되었습니다.")
    shoot(minsu, "ko-approvals-rejected")


def test_the_wallet_opens_on_its_balance_and_recent_activity_and_each_button_opens_one_sheet(node, new_page):
    jiun = person(new_page, node, "이지은", "ko", deposit=50_000, email="jieun@example.com")
    minsu = person(new_page, node, "최민수", "ko", email="minsu@example.com")
    jiun.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    create_channel(jiun, "등산모임")
    join_channel(minsu, "등산모임")
    jiun.get_by_test_id("my-wallet-link").click()

    balance = jiun.get_by_test_id("balance")
    expect(balance).to_have_text("50,000원")
    assert balance.bounding_box()["y"] < 250  # the balance first, big
    assert float(balance.evaluate("b => parseFloat(getComputedStyle(b).fontSize)")) >= 32
    buttons = jiun.get_by_role("navigation", name="할 수 있는 일").get_by_role("button")
    expect(buttons).to_have_count(4)
    for index, label in enumerate(["보내기", "충전", "출금", "예약"]):
        expect(buttons.nth(index)).to_have_accessible_name(label)
    for form in ("transfer-form", "deposit-form", "withdraw-form", "schedule-form"):
        expect(jiun.get_by_test_id(form)).to_be_hidden()  # no page of forms: each waits for its button
    expect(jiun.get_by_test_id("history").locator("li").first).to_be_in_viewport()  # recent activity below
    shoot(jiun, "ko-wallet-home")

    send = sheet(jiun, "send")
    jiun.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    box = send.bounding_box()
    assert abs(box["y"] + box["height"] - PHONE[1]) <= 1  # a sheet from the bottom edge
    send.get_by_test_id("send-person").select_option(label="최민수")
    send.locator("input[name=amount]").fill("30000")
    send.locator("input[name=memo]").fill("산행 회비")
    send.get_by_test_id("send-next").click()
    expect(send.get_by_test_id("send-summary")).to_contain_text("30,000원")
    send.locator("input[name=pin]").fill(PIN)
    shoot(jiun, "ko-wallet-send-sheet")
    send.get_by_test_id("send-confirm").click()
    expect(send).to_be_hidden()  # done: the sheet goes, the balance shows what is left
    expect(balance).to_have_text("20,000원")

    latest = jiun.get_by_test_id("history").locator("li").first
    expect(latest.locator(".what")).to_contain_text("최민수")
    expect(latest.locator(".amount")).to_have_text("-30,000원")
    sent_at = LedgerEntry.objects.filter(amount=-30_000).get().created_at.astimezone(ZoneInfo("Asia/Seoul"))
    expect(latest.locator("small").last).to_contain_text(sent_at.strftime("%H:%M"))  # Seoul time, not UTC
    minsu.get_by_test_id("my-wallet-link").click()
    received = minsu.get_by_test_id("history").locator("li").first
    expect(received.locator(".amount")).to_have_text("+30,000원")
    expect(received.locator(".what")).to_contain_text("이지은")

    sheet(jiun, "deposit").locator("input[name=amount]").fill("10000")
    jiun.get_by_test_id("sheet-deposit").get_by_role("button", name="충전하기").click()
    expect(jiun.get_by_test_id("sheet-deposit")).to_be_hidden()
    expect(balance).to_have_text("30,000원")
    shoot(jiun, "ko-wallet-after")
