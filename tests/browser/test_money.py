"""Money in a real browser, in Korean and in English: sending to a member with a confirmation, dues
that chase themselves, an approval that releases a transfer, a treasurer handover, and a payment into
the club wallet showing at once beside the chat."""

import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    PIN,
    SAYS,
    confirm_with_pin,
    create_channel,
    group_wallet,
    join_channel,
    person,
    send_in_form,
    sheet,
    won,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["ko", "en"])
def test_sending_to_a_member_with_a_confirmation(node, new_page, language):
    says = SAYS[language]
    ana = person(new_page, node, "ana", language, deposit=50_000)
    ben = person(new_page, node, "ben", language)
    create_channel(ana, "hiking")
    join_channel(ben, "hiking")
    # Ben is on his wallet, half-way through a transfer of his own when the money arrives.
    ben.get_by_test_id("my-wallet-link").click()
    sheet(ben, "send").locator("input[name=amount]").fill("777")

    ana.get_by_test_id("channel-hiking").click()
    ana.get_by_test_id("members").get_by_test_id("send-to-ben").click()
    form = ana.get_by_test_id("transfer-form")
    expect(form.get_by_test_id("send-who")).to_contain_text("ben")
    send_in_form(form, 12_000, memo="산행 회비" if language == "ko" else "trail fees")
    summary = form.get_by_test_id("send-summary")
    expect(summary).to_contain_text(says["confirm"].format(amount=won(12_000, language), name="ben"))
    expect(summary).to_contain_text(won(12_000, language))
    expect(summary).to_contain_text("산행 회비" if language == "ko" else "trail fees")
    confirm_with_pin(form)
    expect(ana.locator(".toast").last).to_have_text(says["sent"].format(amount=won(12_000, language), name="ben"))
    expect(ana.get_by_test_id("balance")).to_have_text(won(38_000, language))

    expect(ben.get_by_test_id("balance")).to_have_text(won(12_000, language))
    expect(ben.get_by_test_id("history")).to_contain_text("산행 회비" if language == "ko" else "trail fees")
    expect(ben.get_by_test_id("transfer-form").locator("input[name=amount]")).to_have_value("777")

    # A wallet number works too, and shows whose wallet it is before anything moves.
    form = sheet(ana, "send")
    form.locator("select[name=recipient]").select_option("")
    ben_number = ben.get_by_test_id("wallet-number").inner_text().split("#")[1].split(":")[0]
    form.locator("input[name=number]").fill(ben_number)
    send_in_form(form, 1_000)
    expect(form.get_by_test_id("send-summary")).to_contain_text(f"#{ben_number}")
    expect(form.get_by_test_id("send-summary")).to_contain_text("ben")
    form.get_by_test_id("send-back").click()
    expect(ana.get_by_test_id("balance")).to_have_text(won(38_000, language))

    # Money out to the outside, and the statement to keep.
    withdraw = sheet(ana, "withdraw")
    withdraw.locator("input[name=amount]").fill("8000")
    withdraw.locator("input[name=pin]").fill(PIN)
    withdraw.locator("button[type=submit]").click()
    expect(ana.get_by_test_id("balance")).to_have_text(won(30_000, language))
    with ana.expect_download() as download:
        ana.get_by_test_id("download-statement").click()
    statement = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert statement[0].startswith(SAYS[language]["statement"])  # the reader's language and time zone
    assert [line.split(",")[3:5] for line in statement[1:]] == [
        [SAYS[language]["kinds"][0], "50000"],
        [SAYS[language]["kinds"][1], "-12000"],
        [SAYS[language]["kinds"][2], "-8000"],
    ]


def test_the_settings_choose_the_language_and_the_time_zone(node, new_page):
    """An English browser in Seoul; the user chooses Korean and UTC: the page and its times follow."""
    page = person(new_page, node, "eun", "en")
    create_channel(page, "settings")
    page.get_by_test_id("composer").fill("hello")
    page.get_by_test_id("send").click()
    shown = page.get_by_test_id("messages").locator(".message time").first
    sent_at = datetime.datetime.fromisoformat(shown.get_attribute("datetime").replace("Z", "+00:00"))
    expect(shown).to_have_text(sent_at.astimezone(ZoneInfo("Asia/Seoul")).strftime("%I:%M %p"))
    page.get_by_test_id("preferences").locator("summary").click()
    page.get_by_test_id("language-select").select_option("ko")
    page.get_by_test_id("time-zone-select").select_option("UTC")
    page.locator("#preferences-form button[type=submit]").click()
    expect(page.get_by_test_id("my-wallet-link")).to_have_text("내 지갑")
    page.get_by_test_id("channel-settings").click()
    expect(page.get_by_test_id("messages").locator(".message time").first).to_have_text(sent_at.strftime("%H:%M"))


@pytest.mark.parametrize("language", ["ko", "en"])
def test_dues_with_a_reminder_and_a_recurring_period(node, new_page, language):
    says = SAYS[language]
    ana = person(new_page, node, "ana", language)
    ben = person(new_page, node, "ben", language, deposit=20_000)
    create_channel(ana, "futsal")
    join_channel(ben, "futsal")
    group_wallet(ana, [ben], "futsal fund")

    dues = sheet(ana, "dues")
    dues.locator("input[name=title]").fill("11월 회비" if language == "ko" else "November")
    dues.locator("input[name=amount]").fill("10000")
    dues.locator("button[type=submit]").click()
    card = ana.get_by_test_id("dues-card")
    expect(card).to_contain_text(won(10_000, language))
    ben.get_by_test_id("channel-futsal").click()
    card.get_by_test_id("dues-remind").click()
    expect(ana.locator(".toast").last).to_have_text(says["reminded"])
    expect(ben.locator(".toast").last).to_contain_text(says["reminder toast"])
    expect(ben.get_by_test_id("messages")).to_contain_text(says["reminder chat"].format(name="ben"))
    expect(ana.get_by_test_id("dues-overview").get_by_test_id("overview-ben")).to_contain_text(won(10_000, language))

    # Weekly dues: the beat posts the first period's request at once (it is due within a week).
    first_due = datetime.datetime.now(ZoneInfo("Asia/Seoul")).date() + datetime.timedelta(days=3)
    recurring = sheet(ana, "recurring-dues")
    recurring.locator("input[name=title]").fill("주간 구장비" if language == "ko" else "Weekly pitch")
    recurring.locator("input[name=amount]").fill("5000")
    recurring.locator("select[name=repeat]").select_option("weekly")
    recurring.locator("input[name=first_due]").fill(first_due.isoformat())
    recurring.locator("button[type=submit]").click()
    item = ana.get_by_test_id("recurring-dues").get_by_test_id("recurring-item")
    expect(item).to_contain_text(says["weekly"])
    expect(item).to_contain_text(says["next due"])
    title = "주간 구장비" if language == "ko" else "Weekly pitch"
    expect(ben.get_by_test_id("messages").get_by_test_id("dues-card").filter(has_text=title)).to_have_count(
        1, timeout=60_000
    )
    expect(ana.get_by_test_id("dues-card").filter(has_text=title)).to_have_count(1)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_an_approval_by_a_second_member_releases_a_transfer(node, new_page, language):
    says = SAYS[language]
    ana = person(new_page, node, "ana", language, deposit=50_000)
    ben = person(new_page, node, "ben", language)
    cho = person(new_page, node, "cho", language)
    create_channel(ana, "choir")
    join_channel(ben, "choir")
    join_channel(cho, "choir")
    group_wallet(ana, [ben], "choir fund")

    pay_in = sheet(ana, "pay-in")
    send_in_form(pay_in, 30_000)
    confirm_with_pin(pay_in)
    expect(ana.get_by_test_id("balance")).to_have_text(won(30_000, language))
    policy = sheet(ana, "policy")
    policy.locator("input[name=threshold]").fill("10000")
    policy.get_by_test_id("policy-approvers").get_by_label("ben").check()
    policy.locator("input[name=required]").fill("1")
    policy.locator("button[type=submit]").click()
    expect(ana.get_by_test_id("approval-policy")).to_contain_text(won(10_000, language))

    send_out = sheet(ana, "send-out")
    send_out.locator("select[name=recipient]").select_option(label="cho")
    send_in_form(send_out, 20_000, memo="악보" if language == "ko" else "sheet music")
    confirm_with_pin(send_out)
    expect(ana.locator(".toast").last).to_have_text(says["waiting"])
    expect(ana.get_by_test_id("balance")).to_have_text(won(30_000, language))

    expect(ben.locator("#approvals-badge")).to_have_text("1")
    ben.get_by_test_id("approvals-link").click()
    request = ben.get_by_test_id("approvals").locator(".approval")
    expect(request).to_contain_text(won(20_000, language))
    decide = request.locator("form[data-testid^=decide-]")
    expect(request.locator("input[name=pin]")).to_have_count(1)  # one PIN box for approving or rejecting
    decide.locator("input[name=pin]").fill(PIN)
    decide.locator("button.primary").click()
    expect(ben.locator(".toast").last).to_have_text(says["released"])
    expect(ben.locator("#approvals-badge")).to_be_hidden()
    expect(ana.get_by_test_id("balance")).to_have_text(won(10_000, language))
    cho.get_by_test_id("my-wallet-link").click()
    expect(cho.get_by_test_id("balance")).to_have_text(won(20_000, language))


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_treasurer_hands_the_wallet_over_before_leaving(node, new_page, language):
    says = SAYS[language]
    ana = person(new_page, node, "ana", language)
    ben = person(new_page, node, "ben", language)
    create_channel(ana, "bookclub")
    join_channel(ben, "bookclub")
    group_wallet(ana, [ben], "book fund")
    ana.on("dialog", lambda dialog: dialog.accept())

    ana.get_by_test_id("channel-bookclub").click()
    # The channel is handed over first (its owner stays until then too): the wallet still keeps her.
    ana.get_by_test_id("make-owner-ben").click()
    expect(ana.get_by_test_id("make-owner-ben")).to_have_count(0)
    ana.get_by_test_id("leave-channel").click()
    expect(ana.locator(".toast").last).to_contain_text(says["cannot leave"])
    expect(ana.get_by_test_id("channel-list")).to_contain_text("bookclub")

    ana.get_by_test_id("group-wallets").get_by_role("link", name="book fund").click()
    handover = sheet(ana, "handover")
    handover.get_by_test_id("handover-member").select_option(label="ben")
    handover.locator("input[name=pin]").fill(PIN)
    handover.locator("button[type=submit]").click()
    expect(ben.locator(".toast").last).to_have_text(says["handed you"].format(name="ana", wallet="book fund"))
    expect(ana.get_by_test_id("handover-form")).to_have_count(0)  # no longer the treasurer's page
    expect(ben.get_by_test_id("open-handover")).to_be_visible()  # Ben's open wallet page became the treasurer's

    ana.get_by_test_id("channel-bookclub").click()
    ana.get_by_test_id("leave-channel").click()
    expect(ana.get_by_test_id("channel-list")).not_to_contain_text("bookclub")


def test_a_payment_into_the_club_wallet_shows_in_the_chats_panel_at_once(node, new_page):
    ana = person(new_page, node, "ana", "en")
    ben = person(new_page, node, "ben", "en", deposit=20_000)
    create_channel(ana, "futsal")
    join_channel(ben, "futsal")
    group_wallet(ana, [ben], "futsal fund")
    ana.get_by_test_id("channel-futsal").click()  # the treasurer reads the chat, its wallets beside it
    wallets = ana.get_by_test_id("group-wallets")
    expect(wallets).to_contain_text("₩0 · 2 members")

    pay_in = sheet(ben, "pay-in")
    send_in_form(pay_in, 5_000)
    confirm_with_pin(pay_in)
    expect(wallets).to_contain_text("₩5,000 · 2 members")  # no reload: the money's event reads the wallet again
