"""A vote sends the whole poll to every subscriber and can be changed at will: votes are kept to a
person's pace (THROTTLE_POLL_VOTES), like reactions."""

import pytest
from rest_framework.test import APIClient

from channels_app.tests.factories import channel_with_members
from chat import polls


def _voter(user, poll):
    client = APIClient()
    client.force_authenticate(user)
    return lambda option: client.post(f"/api/polls/{poll.pk}/vote", {"options": [option.pk]}, format="json")


@pytest.mark.django_db(transaction=True)
def test_changing_a_vote_back_and_forth_is_kept_to_a_persons_pace():
    channel, (alice, bob) = channel_with_members(name="club", usernames=["alice", "bob"])
    poll = polls.poll_create(user=alice, channel_id=channel.pk, question="Hike?", options=["yes", "no"], multiple=False)
    yes, no = poll.options.order_by("pk")
    vote = _voter(bob, poll)
    statuses = [vote(yes if n % 2 else no).status_code for n in range(31)]
    assert statuses == [200] * 30 + [429]  # THROTTLE_POLL_VOTES: 30/min by default
    limited = vote(yes)
    assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")
    assert _voter(alice, poll)(yes).status_code == 200  # per person
