"""The approval rule's window in the browser, in Korean on a phone: chosen in the policy form,
said in the rule's words, and a second payment under the threshold waits once the two add up."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    PHONE,
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


def test_the_treasurer_sets_a_weekly_window_and_split_payments_wait(node, new_page):
    ana = person(new_page, node, "ana", "ko", deposit=50_000)
    ben = person(new_page, node, "ben", "ko")
    cho = person(new_page, node, "cho", "ko")
    create_channel(ana, "choir")
    join_channel(ben, "choir")
    join_channel(cho, "choir")
    group_wallet(ana, [ben], "choir fund")
    pay_in = sheet(ana, "pay-in")
    send_in_form(pay_in, 30_000)
    confirm_with_pin(pay_in)
    expect(ana.get_by_test_id("balance")).to_have_text(won(30_000, "ko"))
    ana.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})

    policy = sheet(ana, "policy")
    expect(policy.get_by_test_id("policy-window")).to_have_value("day")  # the default
    policy.locator("input[name=threshold]").fill("10000")
    policy.get_by_test_id("policy-window").select_option(label="7일 동안 합산")
    policy.get_by_test_id("policy-approvers").get_by_label("ben").check()
    policy.locator("input[name=required]").fill("1")
    policy.locator("button[type=submit]").click()
    expect(ana.get_by_test_id("approval-policy")).to_contain_text("지난 7일 동안 승인 없이 나간 돈도 함께 셉니다.")

    for memo in ("악보", "악보 2"):
        send_out = sheet(ana, "send-out")
        send_out.locator("select[name=recipient]").select_option(label="cho")
        send_in_form(send_out, 6_000, memo=memo)
        confirm_with_pin(send_out)
    expect(ana.locator(".toast").last).to_have_text(SAYS["ko"]["waiting"])
    expect(ana.get_by_test_id("balance")).to_have_text(won(24_000, "ko"))
