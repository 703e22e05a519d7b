"""A private channel: not found by search, joined through its invite link with its password."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import PASSWORD, messages, send_message, shoot, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_invite_link_signs_in_and_asks_the_private_channels_password(node, new_page):
    ana, ben = new_page(), new_page(size=(390, 844))
    sign_up(ana, node, "ana")
    sign_up(ben, node, "ben")
    ana.get_by_text("New channel").click()
    form = ana.get_by_test_id("create-channel-form")
    form.get_by_label("Name").fill("family-budget")
    form.get_by_label("Password (makes it private)").fill("open sesame")
    form.get_by_role("button", name="Create channel").click()
    expect(ana.get_by_role("heading", name="#family-budget")).to_be_visible()
    send_message(ana, "Rent is due on the 25th")
    invite_link = ana.get_by_test_id("invite-link").input_value()

    ben.get_by_text("Find a channel").click()
    ben.get_by_test_id("search-input").fill("family")
    ben.get_by_test_id("search-button").click()
    expect(ben.get_by_test_id("search-results")).to_have_text("No public channel matches.")
    ben.get_by_role("button", name="Sign out").click()
    expect(ben.get_by_role("heading", name="Sign in")).to_be_visible()

    ben.goto(invite_link)
    expect(ben.get_by_test_id("invite-channel")).to_have_text("Sign in to join the private channel #family-budget.")
    ben.get_by_label("Email").fill("ben@example.com")
    ben.get_by_label("Password").fill(PASSWORD)
    ben.get_by_role("button", name="Sign in").click()
    card = ben.get_by_test_id("join-card")
    expect(card).to_contain_text("#family-budget")
    expect(card).to_contain_text("Private channel · 1 member · started by ana")

    card.get_by_label("Password for family-budget").fill("open says me")
    card.get_by_role("button", name="Join").click()
    expect(card.get_by_role("alert")).to_have_text("That channel password is not right.")
    expect(ben.get_by_test_id("channel-list")).not_to_contain_text("family-budget")
    shoot(ben, "join-private-channel")

    card.get_by_label("Password for family-budget").fill("open sesame")
    card.get_by_role("button", name="Join").click()
    expect(ben.get_by_role("heading", name="#family-budget")).to_be_visible()
    expect(messages(ben).filter(has_text="Rent is due on the 25th")).to_have_count(1)
    expect(ana.get_by_test_id("messages")).to_contain_text("ben joined the channel")
    ben.get_by_test_id("composer").fill("Noted, I will pay my part")
    ben.get_by_test_id("composer").press("Enter")  # the keyboard sends, no click needed
    expect(messages(ana).filter(has_text="Noted, I will pay my part")).to_have_count(1)
