"""The chat keeps its story straight when the connection drops and when the history is long:
the page resumes each channel with since_seq (no gap, no duplicate) and scrolling up pages in
older messages until the first one."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from chat.tests.live import post_json
from tests.browser.helpers import (
    RECONNECT_TIMEOUT_MS,
    create_channel,
    join_channel,
    messages,
    send_message,
    shown_seqs,
    sign_up,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_dropped_connection_resumes_without_a_gap_or_a_duplicate(node, restartable_node, new_page):
    """Ben's node drains (a reconnect frame) and is gone for a while; Ana keeps talking on another
    node and Ben writes while offline. Back online, Ben sees every message once, in order."""
    ana, ben = new_page(), new_page()
    sign_up(ana, node, "ana")
    sign_up(ben, restartable_node.current, "ben")
    create_channel(ana, "night-shift")
    join_channel(ben, "night-shift")
    send_message(ana, "before the drop")
    expect(messages(ben).filter(has_text="before the drop")).to_have_count(1)

    restartable_node.drain_and_exit()
    expect(ben.get_by_test_id("connection-status")).to_have_text("Reconnecting…")
    away = [f"while you were away {number}" for number in range(1, 6)]
    for text in away:
        send_message(ana, text)
    expect(messages(ana).filter(has_text=away[-1])).to_have_class("message mine")  # acked: its seq is taken
    send_message(ben, "written offline")
    expect(messages(ben).filter(has_text="written offline")).to_have_class("message mine pending")

    restartable_node.start_again()
    expect(ben.get_by_test_id("connection-status")).to_have_text("Connected", timeout=RECONNECT_TIMEOUT_MS)
    for text in away:
        expect(messages(ben).filter(has_text=text)).to_have_count(1)
    expect(messages(ben).filter(has_text="written offline")).to_have_class("message mine")
    expect(messages(ana).filter(has_text="written offline")).to_have_count(1)
    send_message(ana, "glad you are back")
    expect(messages(ben).filter(has_text="glad you are back")).to_have_count(1)
    assert shown_seqs(ben) == list(range(1, 9))
    assert shown_seqs(ana) == list(range(1, 9))


def test_scrolling_up_loads_older_messages_back_to_the_first(node, new_page):
    ana = new_page()
    sign_up(ana, node, "ana")
    create_channel(ana, "archive")
    channel_id = int(ana.url.rsplit("/", 1)[1])
    author = get_user_model().objects.get(email="ana@example.com")
    for number in range(1, 131):
        post_json(node, f"/api/channels/{channel_id}/messages", author, {"body": f"note {number}"})

    ana.reload()
    expect(messages(ana).filter(has_text="note 130")).to_be_visible()
    expect(messages(ana)).to_have_count(50)
    assert shown_seqs(ana) == list(range(81, 131))

    history = ana.get_by_test_id("messages")
    history.evaluate("list => { list.scrollTop = 0; }")
    expect(messages(ana)).to_have_count(100)
    # The reader keeps their place: the page loaded above did not pull the view to its top.
    expect(messages(ana).filter(has_text="note 81")).to_be_in_viewport()
    expect(messages(ana).filter(has_text="note 31")).not_to_be_in_viewport()
    history.evaluate("list => { list.scrollTop = 0; }")
    expect(messages(ana)).to_have_count(130)
    expect(ana.get_by_test_id("history-start")).to_have_text("This is the start of #archive.")
    assert shown_seqs(ana) == list(range(1, 131))
