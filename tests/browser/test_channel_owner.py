"""The owner of a channel leaves only after handing it over: on a phone, in Korean, the leave
confirmation says so and takes them to the hand-over."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import PHONE, shoot, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _korean_phone(new_page, node, name: str):
    page = new_page(size=PHONE, locale="ko-KR")
    sign_up(page, node, name, "ko")
    page.dialogs = []

    def answer(dialog) -> None:
        page.dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    return page


def test_the_owner_is_asked_to_hand_the_channel_over_before_leaving(node, new_page):
    ana, ben = _korean_phone(new_page, node, "ana"), _korean_phone(new_page, node, "ben")
    ana.locator(".sidebar details").nth(1).locator("summary").click()
    form = ana.get_by_test_id("create-channel-form")
    form.locator("input[name=name]").fill("hiking")
    form.locator("button[type=submit]").click()
    expect(ana.get_by_role("heading", name="#hiking")).to_be_visible()
    ben.locator(".sidebar details").nth(0).locator("summary").click()
    ben.get_by_test_id("search-input").fill("hiking")
    ben.get_by_test_id("search-button").click()
    ben.get_by_test_id("join-hiking").click()
    expect(ana.get_by_test_id("members")).to_contain_text("ben")

    ana.get_by_test_id("toggle-panel").click()
    ana.get_by_test_id("leave-channel").click()
    expect(ana.get_by_test_id("make-owner-ben")).to_be_focused()
    assert len(ana.dialogs) == 1 and "다른 멤버에게 방장을 넘긴 뒤" in ana.dialogs[0], ana.dialogs
    expect(ana.get_by_test_id("channel-list")).to_contain_text("hiking")
    shoot(ana, "owner-leave-hand-over")

    ana.get_by_test_id("make-owner-ben").click()
    expect(ana.get_by_test_id("make-owner-ben")).to_have_count(0)
    ana.get_by_test_id("leave-channel").click()
    expect(ana.get_by_test_id("channel-list")).not_to_contain_text("hiking")
    assert "이 채널에서 나갈까요?" in ana.dialogs[-1]
    expect(ben.get_by_test_id("members")).not_to_contain_text("ana")
