"""The product in a real browser: two people chat live, pay dues by clicking, and see errors in words."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    ARTIFACTS,
    PIN,
    create_channel,
    group_wallet_with_dues,
    join_channel,
    messages,
    open_wallet,
    send_message,
    send_to_number,
    sheet,
    sign_up,
)

# transaction=True: the live server must see committed data, and each test starts from an empty database.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_two_people_chat_live_and_history_survives_a_reload(node, new_page):
    ana, ben = new_page(), new_page()
    sign_up(ana, node, "ana")
    sign_up(ben, node, "ben")
    create_channel(ana, "bookclub")
    join_channel(ben, "bookclub")
    expect(ana.get_by_test_id("messages")).to_contain_text("ben joined the channel")

    send_message(ana, "Hello Ben, welcome!")
    expect(messages(ben).filter(has_text="Hello Ben, welcome!")).to_have_count(1)
    send_message(ben, "Thanks Ana")
    expect(messages(ana).filter(has_text="Thanks Ana")).to_have_count(1)
    # My own message: shown at once, confirmed by its ack, never doubled by the echo.
    own = messages(ana).filter(has_text="Hello Ben, welcome!")
    expect(own).to_have_count(1)
    expect(own).not_to_have_class("message mine pending")

    ben.get_by_test_id("composer").press_sequentially("typing...")
    expect(ana.get_by_test_id("typing")).to_have_text("ben is typing…")

    ben.reload()
    expect(ben.get_by_test_id("connection-status")).to_have_text("Connected")
    expect(messages(ben).filter(has_text="Hello Ben, welcome!")).to_have_count(1)
    expect(messages(ben).filter(has_text="Thanks Ana")).to_have_count(1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ana.screenshot(path=str(ARTIFACTS / "chat-desktop.png"))

    ben.on("dialog", lambda dialog: dialog.accept())
    ben.get_by_test_id("leave-channel").click()
    expect(ben.get_by_test_id("channel-list")).not_to_contain_text("bookclub")
    expect(ana.get_by_test_id("messages")).to_contain_text("ben left the channel")
    expect(ana.get_by_test_id("members")).to_have_text("ana")


def test_dues_paid_by_clicking_show_paid_on_the_treasurers_page(node, new_page):
    ana, ben = new_page(), new_page(size=(390, 844))
    sign_up(ana, node, "treasurer-ana")
    sign_up(ben, node, "member-ben")
    open_wallet(ana)
    open_wallet(ben, deposit=50_000)

    ana.goto(f"{node.http_url}/")
    create_channel(ana, "tennis")
    ben.goto(f"{node.http_url}/")
    join_channel(ben, "tennis")
    group_wallet_with_dues(ana, ben, name="court fund", title="December court", amount=15_000)

    # Ben sees the request as a card in the chat and pays it there.
    ben.goto(f"{node.http_url}/")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ben.screenshot(path=str(ARTIFACTS / "channels-phone.png"))
    ben.get_by_test_id("channel-tennis").click()
    card = ben.get_by_test_id("messages").get_by_test_id("dues-card")
    expect(card).to_contain_text("December court")
    card.get_by_label("PIN").fill(PIN)
    card.get_by_role("button", name="Pay ₩15,000").click()
    expect(card.get_by_test_id("dues-member-member-ben")).to_have_attribute("data-paid", "true")

    # The treasurer's page updates live.
    expect(ana.get_by_test_id("dues-member-member-ben")).to_have_attribute("data-paid", "true")
    expect(ana.get_by_test_id("dues-card")).to_contain_text("1 of 2 paid")
    ana.reload()
    expect(ana.get_by_test_id("balance")).to_have_text("₩15,000")
    ana.screenshot(path=str(ARTIFACTS / "group-wallet-desktop.png"), full_page=True)
    ben.screenshot(path=str(ARTIFACTS / "dues-card-phone.png"))


def test_a_wrong_pin_and_a_short_balance_show_their_errors_in_words(node, new_page):
    cho, dan = new_page(), new_page()
    sign_up(cho, node, "cho")
    sign_up(dan, node, "dan")
    open_wallet(cho, deposit=1_000)
    dans_wallet = open_wallet(dan)

    transfer = sheet(cho, "send")
    send_to_number(cho, dans_wallet, 500, pin="1111", expect_name="dan")
    expect(cho.get_by_test_id("transfer-form-error")).to_contain_text("The PIN is not correct")
    expect(cho.get_by_test_id("balance")).to_have_text("₩1,000")

    transfer.get_by_role("button", name="Back").click()
    send_to_number(cho, dans_wallet, 5000, expect_name="dan")
    expect(cho.get_by_test_id("transfer-form-error")).to_have_text("There is not enough money in the wallet for this.")

    transfer.get_by_role("button", name="Back").click()
    send_to_number(cho, dans_wallet, 400, expect_name="dan")
    expect(cho.get_by_test_id("balance")).to_have_text("₩600")
    expect(dan.get_by_test_id("balance")).to_have_text("₩400")  # transfer_received refreshes Dan's open wallet
    cho.screenshot(path=str(ARTIFACTS / "wallet-desktop.png"), full_page=True)


def test_a_scheduled_transfer_runs_reaches_the_recipient_live_and_can_be_cancelled(node, new_page):
    eve, fay = new_page(), new_page()
    sign_up(eve, node, "eve")
    sign_up(fay, node, "fay")
    open_wallet(eve, deposit=10_000)
    fays_wallet = open_wallet(fay)

    schedule = sheet(eve, "schedule")
    schedule.get_by_label("To wallet number").fill(str(fays_wallet))
    schedule.get_by_label("Amount").fill("1500")
    # The first run this very minute (in the browser's clock): the worker's next tick runs it.
    this_minute = eve.evaluate(
        "(() => { const d = new Date(); d.setSeconds(0, 0); "
        "return new Date(d - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16); })()"
    )
    schedule.get_by_label("First run").fill(this_minute)
    schedule.get_by_label("Repeat").select_option("weekly")
    schedule.get_by_label("Memo").fill("rent share")
    schedule.get_by_label("PIN").fill(PIN)
    schedule.get_by_role("button", name="Schedule").click()
    scheduled = eve.get_by_test_id("scheduled")
    expect(scheduled).to_contain_text("₩1,500 to fay · weekly · active")

    # transfer_received reaches Fay's open wallet page when the worker runs the schedule.
    expect(fay.get_by_test_id("balance")).to_have_text("₩1,500", timeout=60_000)
    expect(fay.get_by_test_id("history")).to_contain_text("rent share")
    expect(fay.locator(".toast")).to_contain_text("eve sent ₩1,500 (rent share).")
    # Fay's list shows Eve's schedule as incoming: who sends it, and no Cancel (only Eve may cancel it).
    fay.reload()
    incoming = fay.get_by_test_id("scheduled")
    expect(incoming).to_contain_text("₩1,500 from eve · weekly · active")
    expect(incoming.get_by_role("button", name="Cancel")).to_have_count(0)

    eve.reload()
    expect(eve.get_by_test_id("balance")).to_have_text("₩8,500")
    eve.get_by_test_id("scheduled").get_by_role("button", name="Cancel").click()
    # It asks first; keeping it keeps it.
    eve.get_by_test_id("scheduled").get_by_role("button", name="Keep it").click()
    expect(eve.get_by_test_id("scheduled")).to_contain_text("₩1,500 to fay · weekly · active")
    eve.get_by_test_id("scheduled").get_by_role("button", name="Cancel").click()
    eve.get_by_test_id("scheduled").get_by_role("button", name="Yes, cancel it").click()
    expect(eve.get_by_test_id("scheduled")).to_contain_text("₩1,500 to fay · weekly · cancelled")
    expect(eve.get_by_test_id("scheduled").get_by_role("button", name="Cancel")).to_have_count(0)
