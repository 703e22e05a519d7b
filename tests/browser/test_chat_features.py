"""What people expect from a messenger, seen by two people in real browsers (one on a phone):
edits, deletions and reactions live and after a reconnect, replies, @mentions, search, the read
count, presence, the owner's administration, private channels' lock, and reading comfort."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from chat.models import Message
from chat.tests.live import post_json
from conftest import EMBEDDED
from tests.browser.helpers import (
    PHONE,
    RECONNECT_TIMEOUT_MS,
    channel_id,
    create_channel,
    join_channel,
    messages,
    send_message,
    sign_up,
    user,
    wait_stored,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def back_to_list(page) -> None:
    """On a phone: from the open channel back to the list of channels."""
    page.get_by_role("link", name="Back to channels").click()
    expect(page.get_by_test_id("channel-list")).to_be_visible()


def card(page, seq: int):
    return page.get_by_test_id("messages").locator(f'.message[data-seq="{seq}"]')


def open_actions(page, seq: int):
    """The ⋯ menu of a message; returns the menu."""
    card(page, seq).get_by_test_id("more").click()
    return card(page, seq).get_by_test_id("message-actions")


def two_people(node, new_page, channel: str, ben_node=None):
    """Ana (desktop) creates the channel, Ben (phone) joins it; both are left in it."""
    ana, ben = new_page(), new_page(size=PHONE)
    sign_up(ana, node, "ana")
    sign_up(ben, ben_node or node, "ben")
    create_channel(ana, channel)
    join_channel(ben, channel)
    expect(ana.get_by_test_id("messages")).to_contain_text("ben joined the channel")
    return ana, ben


def test_an_edit_a_deletion_and_reactions_show_live_on_the_other_phone(node, new_page):
    ana, ben = two_people(node, new_page, "garden")
    ana.on("dialog", lambda dialog: dialog.accept())
    send_message(ana, "We meet at 10")
    expect(card(ben, 1)).to_contain_text("We meet at 10")

    open_actions(ana, 1).get_by_test_id("edit").click()
    expect(ana.get_by_test_id("composer-context")).to_contain_text("Editing your message")
    ana.get_by_test_id("composer").fill("We meet at 11")
    ana.get_by_test_id("composer").press("Enter")
    expect(card(ben, 1).locator(".body")).to_have_text("We meet at 11")
    expect(card(ben, 1).get_by_test_id("edited")).to_have_text("(edited)")
    expect(card(ana, 1).get_by_test_id("edited")).to_be_visible()

    open_actions(ben, 1).get_by_role("button", name="React with 👍").click()
    expect(card(ana, 1).get_by_test_id("reactions")).to_have_text("👍 1")
    open_actions(ana, 1).get_by_role("button", name="React with 👍").click()
    expect(card(ben, 1).get_by_test_id("reactions")).to_have_text("👍 2")
    card(ben, 1).get_by_test_id("reactions").get_by_role("button").click()  # takes Ben's back
    expect(card(ana, 1).get_by_test_id("reactions")).to_have_text("👍 1")

    # Ben may not edit or delete Ana's message; Ana, the owner, may delete Ben's.
    expect(open_actions(ben, 1).get_by_test_id("delete")).to_have_count(0)
    expect(card(ben, 1).get_by_test_id("edit")).to_have_count(0)
    send_message(ben, "oops, wrong channel")
    expect(card(ana, 2)).to_contain_text("oops, wrong channel")
    open_actions(ana, 2).get_by_test_id("delete").click()
    expect(card(ben, 2).get_by_test_id("deleted")).to_have_text("This message was deleted.")
    expect(card(ben, 2)).not_to_contain_text("oops")

    open_actions(ana, 1).get_by_test_id("delete").click()
    expect(card(ben, 1).get_by_test_id("deleted")).to_have_text("This message was deleted.")
    expect(card(ben, 1).get_by_test_id("reactions")).to_have_count(0)
    ben.reload()  # history keeps the seq, without a body
    expect(card(ben, 1).get_by_test_id("deleted")).to_be_visible()
    expect(card(ben, 2).get_by_test_id("deleted")).to_be_visible()


@pytest.mark.skipif(EMBEDDED, reason="two web processes share nothing without Redis")
def test_changes_made_while_a_phone_was_away_arrive_when_it_resumes(node, restartable_node, new_page):  # noqa: F811
    """Ben's node drains; meanwhile Ana edits one message, deletes another and reacts to a third.
    Ben's page resumes on the node started again with since_version and shows all three."""
    ana, ben = two_people(node, new_page, "night-shift", ben_node=restartable_node.current)
    ana.on("dialog", lambda dialog: dialog.accept())
    for text in ("first draft", "to be deleted", "react to me"):
        send_message(ana, text)
    expect(card(ben, 3)).to_contain_text("react to me")

    restartable_node.drain_and_exit()
    expect(ben.get_by_test_id("connection-status")).to_have_text("Reconnecting…")
    open_actions(ana, 1).get_by_test_id("edit").click()
    ana.get_by_test_id("composer").fill("final text")
    ana.get_by_test_id("composer").press("Enter")
    expect(card(ana, 1).get_by_test_id("edited")).to_be_visible()
    open_actions(ana, 2).get_by_test_id("delete").click()
    expect(card(ana, 2).get_by_test_id("deleted")).to_be_visible()
    open_actions(ana, 3).get_by_role("button", name="React with 🙏").click()
    expect(card(ana, 3).get_by_test_id("reactions")).to_have_text("🙏 1")

    restartable_node.start_again()
    expect(ben.get_by_test_id("connection-status")).to_have_text("Connected", timeout=RECONNECT_TIMEOUT_MS)
    expect(card(ben, 1).locator(".body")).to_have_text("final text")
    expect(card(ben, 1).get_by_test_id("edited")).to_be_visible()
    expect(card(ben, 2).get_by_test_id("deleted")).to_be_visible()
    expect(card(ben, 3).get_by_test_id("reactions")).to_have_text("🙏 1")


def test_a_reply_quotes_the_original_and_the_quote_jumps_to_it(node, new_page):
    ana, ben = two_people(node, new_page, "trip")
    send_message(ana, "Which train do we take?")
    expect(card(ben, 1)).to_contain_text("Which train do we take?")
    open_actions(ben, 1).get_by_test_id("reply").click()
    expect(ben.get_by_test_id("composer-context")).to_contain_text("Replying to ana: Which train do we take?")
    send_message(ben, "the 9:40 one")
    expect(ben.get_by_test_id("composer-context")).to_be_hidden()
    for page in (ana, ben):
        expect(card(page, 2).get_by_test_id("quote")).to_have_text("ana Which train do we take?")
    card(ana, 2).get_by_test_id("quote").click()
    expect(card(ana, 1)).to_have_class("message mine highlight")
    expect(card(ana, 1)).to_be_in_viewport()


def test_the_quote_of_an_old_message_loads_history_and_highlights_it(node, new_page):
    ana, ben = two_people(node, new_page, "archive")
    author, room = user("ana"), channel_id(ana)
    question = post_json(node, f"/api/channels/{room}/messages", author, {"body": "Which train do we take?"})
    for number in range(1, 71):  # the question is far above the first page
        post_json(node, f"/api/channels/{room}/messages", author, {"body": f"filler {number}"})
    post_json(node, f"/api/channels/{room}/messages", user("ben"), {"body": "the 9:40 one", "reply_to": question["id"]})
    ben.reload()
    answer = messages(ben).filter(has_text="the 9:40 one")
    expect(answer.get_by_test_id("quote")).to_be_visible()
    expect(card(ben, 1)).to_have_count(0)
    answer.get_by_test_id("quote").click()
    expect(card(ben, 1)).to_have_class("message highlight")
    expect(card(ben, 1)).to_be_in_viewport()
    expect(answer.get_by_test_id("quote")).to_contain_text("ana Which train do we take?")


def test_a_mention_is_offered_while_typing_and_marks_the_channel_of_the_person_named(node, new_page):
    ana, ben = two_people(node, new_page, "books")
    back_to_list(ben)
    create_channel(ben, "elsewhere")
    back_to_list(ben)  # Ben is not reading #books
    ana.get_by_test_id("composer").press_sequentially("see you, @b")
    expect(ana.get_by_test_id("mention-picker")).to_have_text("@ben")
    ana.get_by_test_id("composer").press("Enter")  # takes the name
    expect(ana.get_by_test_id("composer")).to_have_value("see you, @ben ")
    ana.get_by_test_id("composer").press("Enter")  # sends
    expect(card(ana, 1)).to_contain_text("see you, @ben")
    expect(ben.get_by_test_id("channel-books").get_by_test_id("mention-badge")).to_have_text("@")
    ben.get_by_test_id("channel-books").click()
    expect(card(ben, 1)).to_have_class("message mentions-me")
    expect(ben.get_by_test_id("channel-books").get_by_test_id("mention-badge")).to_have_count(0)


NOTIFICATIONS = """
window.shownNotifications = [];
window.Notification = class {
  static permission = "default";
  static async requestPermission() { window.Notification.permission = "granted"; return "granted"; }
  constructor(title, options) { window.shownNotifications.push({ title, body: options.body }); }
  close() {}
};
Object.defineProperty(document, "visibilityState", { get: () => window.pretendHidden ? "hidden" : "visible" });
"""


def test_a_mention_while_the_tab_is_hidden_shows_a_notification_once_allowed(node, new_page):
    ana, ben = two_people(node, new_page, "alerts")
    ben.context.add_init_script(NOTIFICATIONS)
    ben.reload()
    expect(ben.get_by_test_id("connection-status")).to_have_text("Connected")
    assert ben.evaluate("window.Notification.permission") == "default"  # never asked on load
    back_to_list(ben)
    ben.get_by_test_id("enable-notifications").click()
    expect(ben.get_by_test_id("enable-notifications")).to_have_count(0)
    ben.evaluate("window.pretendHidden = true")
    send_message(ana, "@ben the court is booked")
    expect(ben.get_by_test_id("channel-alerts").get_by_test_id("mention-badge")).to_be_visible()
    ben.wait_for_function("window.shownNotifications.length === 1")
    shown = ben.evaluate("window.shownNotifications[0]")
    assert shown == {"title": "ana mentioned you in #alerts", "body": "@ben the court is booked"}


def test_search_finds_a_message_and_shows_it_in_the_chat(node, new_page):
    ana, ben = two_people(node, new_page, "recipes")
    author, room = user("ana"), channel_id(ana)
    post_json(node, f"/api/channels/{room}/messages", author, {"body": "Kimchi stew needs aged kimchi"})
    for number in range(1, 61):
        post_json(node, f"/api/channels/{room}/messages", author, {"body": f"other talk {number}"})
    wait_stored(room, 61)  # search reads the store
    ben.reload()
    expect(card(ben, 61)).to_be_visible()
    ben.get_by_test_id("toggle-search").click()
    ben.get_by_test_id("message-search-input").fill("aged stew")
    ben.get_by_test_id("message-search-button").click()
    hits = ben.get_by_test_id("message-search-hit")
    expect(hits).to_have_count(1)
    expect(hits).to_contain_text("Kimchi stew needs aged kimchi")
    hits.click()
    expect(card(ben, 1)).to_be_in_viewport()
    expect(card(ben, 1)).to_have_class("message highlight")


def test_the_read_count_goes_down_as_the_others_read(node, new_page):
    ana, ben = two_people(node, new_page, "counting")
    cat = new_page()
    sign_up(cat, node, "cat")
    join_channel(cat, "counting")
    expect(ana.get_by_test_id("members")).to_contain_text("cat")
    create_channel(cat, "cat-corner")  # neither Cat nor Ben is reading #counting
    back_to_list(ben)
    send_message(ana, "Did everyone see this?")
    expect(card(ana, 1).get_by_test_id("unread-count")).to_have_text("2")
    cat.get_by_test_id("channel-counting").click()
    expect(card(cat, 1)).to_be_visible()
    expect(card(ana, 1).get_by_test_id("unread-count")).to_have_text("1")
    expect(card(cat, 1).get_by_test_id("unread-count")).to_have_text("1")
    ben.get_by_test_id("channel-counting").click()
    expect(card(ben, 1)).to_be_visible()
    expect(card(ana, 1).get_by_test_id("unread-count")).to_be_hidden()
    expect(card(cat, 1).get_by_test_id("unread-count")).to_be_hidden()


def test_presence_shows_who_is_online_and_goes_off_when_they_leave(node, new_page):
    ana, ben = two_people(node, new_page, "presence")
    ana.reload()  # the subscribe's snapshot says who is online
    expect(ana.get_by_test_id("member-ben")).to_have_attribute("data-online", "true")
    expect(ana.get_by_test_id("online-count")).to_contain_text("2 online")
    ben.get_by_test_id("toggle-panel").click()  # the phone's panel
    expect(ben.get_by_test_id("member-ana")).to_have_attribute("data-online", "true")
    ben.context.close()
    expect(ana.get_by_test_id("member-ben")).to_have_attribute("data-online", "false")
    expect(ana.get_by_test_id("online-count")).to_contain_text("1 online")


def test_the_owner_renames_the_channel_makes_it_private_and_removes_a_member(node, new_page):
    ana, ben = two_people(node, new_page, "club")
    ana.on("dialog", lambda dialog: dialog.accept())
    settings = ana.get_by_test_id("channel-settings")
    settings.get_by_text("Channel settings").click()
    rename = ana.get_by_test_id("channel-rename-form")
    rename.get_by_label("Name").fill("tennis-club")
    rename.get_by_role("button", name="Save").click()
    expect(ana.get_by_role("heading", name="#tennis-club")).to_be_visible()
    expect(ana.get_by_test_id("channel-tennis-club")).to_be_visible()
    expect(ben.get_by_role("heading", name="#tennis-club")).to_be_visible()  # live, no reload
    expect(ben.get_by_test_id("channel-tennis-club")).to_have_count(1)  # in the list behind the phone's chat

    ana.get_by_test_id("channel-settings").get_by_text("Channel settings").click()
    password = ana.get_by_test_id("channel-password-form")
    password.get_by_label("New password").fill("net-and-racket")
    password.get_by_role("button", name="Set password").click()
    expect(ana.get_by_test_id("channel-tennis-club").get_by_test_id("lock")).to_be_visible()
    expect(ana.locator(".channel-header").get_by_test_id("lock")).to_be_visible()
    expect(ana.get_by_test_id("channel-tennis-club")).to_have_attribute("title", "Private channel · owner: ana")
    expect(ben.get_by_role("heading", name="#tennis-club").get_by_test_id("lock")).to_be_visible()  # live too
    expect(ben.get_by_test_id("channel-tennis-club").get_by_test_id("lock")).to_have_count(1)

    send_message(ana, "before the removal")
    expect(messages(ben).filter(has_text="before the removal")).to_have_count(1)
    ana.get_by_test_id("remove-ben").click()
    expect(ana.get_by_test_id("members")).to_have_text("ana")
    expect(ben.get_by_test_id("channel-list")).not_to_contain_text("club")
    send_message(ana, "after the removal")
    expect(messages(ana).filter(has_text="after the removal")).to_have_class("message mine")
    expect(ben.get_by_test_id("messages")).to_have_count(0)  # Ben's view of the channel is gone
    ben.goto(f"{node.http_url}/#/channel/{channel_id(ana)}")
    expect(ben.get_by_test_id("join-card").get_by_test_id("lock")).to_be_visible()
    expect(ben.get_by_text("after the removal")).to_have_count(0)

    ana.get_by_test_id("channel-settings").get_by_text("Channel settings").click()
    ana.get_by_test_id("channel-make-public").click()  # the password goes: public again
    expect(ana.get_by_test_id("channel-tennis-club").get_by_test_id("lock")).to_have_count(0)
    expect(ana.get_by_test_id("channel-tennis-club")).to_have_attribute("title", "owner: ana")


def test_the_owner_hands_the_channel_to_a_member(node, new_page):
    ana, ben = two_people(node, new_page, "handover")
    ana.on("dialog", lambda dialog: dialog.accept())
    send_message(ben, "thanks for running this")
    expect(open_actions(ana, 1).get_by_test_id("delete")).to_be_visible()  # the owner may delete it
    ana.get_by_test_id("make-owner-ben").click()
    expect(ana.get_by_test_id("channel-settings")).to_have_count(0)
    expect(card(ana, 1).get_by_test_id("delete")).to_have_count(0)  # no longer
    expect(ana.get_by_test_id("channel-handover")).to_have_attribute("title", "owner: ben")
    expect(ana.locator("#panel")).not_to_contain_text("null")  # nothing where the settings were
    expect(ben.get_by_test_id("channel-handover")).to_have_attribute("title", "owner: ben")  # live, no reload
    ben.get_by_test_id("toggle-panel").click()
    expect(ben.get_by_test_id("channel-settings")).to_be_visible()
    expect(ben.get_by_test_id("remove-ana")).to_be_visible()


def test_two_channels_of_one_name_are_told_apart_by_their_lock_and_owner(node, new_page):
    ana, ben = new_page(), new_page(size=PHONE)
    sign_up(ana, node, "ana")
    sign_up(ben, node, "ben")
    create_channel(ana, "family")
    ben.get_by_text("New channel").click()
    form = ben.get_by_test_id("create-channel-form")
    form.get_by_label("Name").fill("family")
    form.get_by_label("Password (makes it private)").fill("our secret")
    form.get_by_role("button", name="Create channel").click()
    expect(ben.get_by_role("heading", name="#family")).to_be_visible()
    expect(ben.locator(".channel-header").get_by_test_id("lock")).to_be_visible()
    back_to_list(ben)
    join_channel(ben, "family")  # the first search result: Ana's public one
    back_to_list(ben)
    channels = ben.get_by_test_id("channel-family")
    expect(channels).to_have_count(2)
    expect(channels.nth(0)).to_have_attribute("title", "Private channel · owner: ben")
    expect(channels.nth(0).get_by_test_id("lock")).to_be_visible()
    expect(channels.nth(1)).to_have_attribute("title", "owner: ana")
    expect(channels.nth(1).get_by_test_id("lock")).to_have_count(0)


def test_days_the_first_unread_and_the_bottom_on_opening(node, new_page):
    ana, ben = two_people(node, new_page, "diary")
    back_to_list(ben)  # Ben is not reading #diary
    author, room = user("ana"), channel_id(ana)
    for number in range(1, 4):
        post_json(node, f"/api/channels/{room}/messages", author, {"body": f"yesterday {number}"})
    wait_stored(room, 3)
    Message.objects.filter(channel_id=room).update(created_at=timezone.now() - timedelta(days=1))
    long_word = "w" * 300
    for number in range(1, 80):
        # The newest one short: a card taller than the view (a long word wraps to many lines beside
        # the avatar, and the "background stopped" banner takes room on a loaded machine) is never whole.
        body = f"today {number} {long_word}" if number < 79 else f"today {number}"
        post_json(node, f"/api/channels/{room}/messages", author, {"body": body})
    ben.get_by_test_id("channel-diary").click()
    expect(ben.get_by_test_id("jump-to-unread")).to_be_visible()
    last = card(ben, 82)
    expect(last).to_be_in_viewport(ratio=1)  # opened at the bottom, the last card whole
    ben.get_by_test_id("jump-to-unread").click()
    divider = ben.get_by_test_id("new-messages")
    expect(divider).to_be_in_viewport()
    expect(divider).to_have_text("New messages")
    assert divider.evaluate("d => d.nextElementSibling.dataset.seq") == "1"
    days = ben.get_by_test_id("day-divider")
    expect(days).to_have_count(2)
    overflow = ben.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0  # the long word wraps


def test_reading_a_screenful_sends_one_read_frame_for_the_newest_message(node, new_page):
    ana, ben = two_people(node, new_page, "batched")
    back_to_list(ben)
    author, room = user("ana"), channel_id(ana)
    for number in range(1, 31):
        post_json(node, f"/api/channels/{room}/messages", author, {"body": f"news {number}"})
    expect(ben.get_by_test_id("channel-batched").locator(".badge")).to_have_text("30")
    expect(card(ana, 30).get_by_test_id("unread-count")).to_have_text("1")
    reads = []
    ben.on(
        "websocket",
        lambda socket: socket.on(
            "framesent", lambda payload: '"read"' in payload and reads.append(json.loads(payload))
        ),
    )
    ben.reload()
    expect(ben.get_by_test_id("connection-status")).to_have_text("Connected")
    ben.get_by_test_id("channel-batched").click()
    expect(card(ben, 30)).to_be_in_viewport()
    expect(card(ana, 30).get_by_test_id("unread-count")).to_be_hidden()  # Ben's read reached Ana
    expect(card(ana, 1).get_by_test_id("unread-count")).to_be_hidden()
    assert reads == [{"type": "read", "channel": room, "seq": 30}]
