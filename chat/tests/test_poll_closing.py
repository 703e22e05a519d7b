"""A poll's closing time is run by beat's tick (chat.close_due_polls) exactly once: a second tick,
or the creator closing it afterwards, announces nothing more. In both modes (the embedded mode runs
beat's schedule in its web process); two beats at once are chat/tests/test_club_life.py's."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from channels_app.tests.factories import channel_with_members
from chat import polls, selectors
from chat.models import OutboxEvent, Poll
from chat.tasks import close_due_polls
from core.api.errors import Conflict

pytestmark = pytest.mark.django_db


def _poll_frames(poll_id: int) -> list[dict]:
    """The poll frames announced so far (this test never commits, so the outbox keeps them)."""
    events = OutboxEvent.objects.filter(kind=OutboxEvent.Kind.CHANNEL_EVENT).order_by("pk")
    frames = [e.payload["frame"] for e in events if "frame" in e.payload]  # not the money events
    return [f["poll"] for f in frames if f["type"] == "poll" and f["poll"]["id"] == poll_id]


def test_beats_tick_closes_a_due_poll_once_and_leaves_the_others_open():
    assert "chat.close_due_polls" in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    channel, (alice, bob) = channel_with_members(name="club", usernames=["alice", "bob"])
    soon = timezone.now() + timedelta(minutes=5)
    due = polls.poll_create(user=alice, channel_id=channel.pk, question="Hike?", options=["yes", "no"], multiple=False)
    later = polls.poll_create(
        user=alice, channel_id=channel.pk, question="Dinner?", options=["yes", "no"], multiple=False, closes_at=soon
    )
    polls.poll_vote(user=bob, poll_id=due.pk, option_ids=[due.options.first().pk])
    Poll.objects.filter(pk=due.pk).update(closes_at=timezone.now() - timedelta(seconds=1))  # its time came

    assert close_due_polls() == 1
    assert close_due_polls() == 0  # the next tick finds nothing to do
    polls.poll_close(user=alice, poll_id=due.pk)  # nor does the creator, afterwards
    frames = _poll_frames(due.pk)
    assert [frame["closed"] for frame in frames] == [False, True]  # bob's vote, then the close: once
    assert frames[-1]["options"][0]["votes"] == 1
    assert Poll.objects.get(pk=later.pk).closed_at is None and _poll_frames(later.pk) == []


def test_no_vote_counts_once_the_closing_time_came_even_before_the_tick():
    """As tried: a poll whose closing time had passed an hour before still took a vote (200), since
    only beat's tick records the close; dues asked of its "going" then counted that late voter."""
    channel, (alice, bob) = channel_with_members(name="club", usernames=["alice", "bob"])
    poll = polls.poll_create(
        user=alice,
        channel_id=channel.pk,
        question="Hike?",
        options=["yes", "no"],
        multiple=False,
        closes_at=timezone.now() + timedelta(minutes=5),
    )
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - timedelta(hours=1))  # no tick since

    with pytest.raises(Conflict):
        polls.poll_vote(user=bob, poll_id=poll.pk, option_ids=[poll.options.first().pk])
    assert selectors.poll_data(selectors.poll_get(poll_id=poll.pk))["closed"] is True
    assert close_due_polls() == 1  # the tick still records it, once
