"""A tour of the main pages at phone and desktop size: each page fits the screen without sideways
scrolling, and its screenshot is kept in var/test-artifacts/screens/ for people to look at."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    PASSWORD,
    PHONE,
    SCREENS,
    create_channel,
    group_wallet_with_dues,
    join_channel,
    open_wallet,
    send_message,
    shoot,
    sign_up,
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
