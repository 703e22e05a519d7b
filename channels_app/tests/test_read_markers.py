"""Read markers moved in batches (the WebSocket's reads of a moment), against PostgreSQL."""

import threading

import pytest
from django.db import connection

from channels_app.models import Membership
from channels_app.services import channel_mark_read_many
from channels_app.tests.factories import channel_with_members

pytestmark = pytest.mark.django_db(transaction=True)


def _markers(channel) -> dict[str, int]:
    rows = Membership.objects.filter(channel=channel).select_related("user")
    return {row.user.username: row.last_read_seq for row in rows}


def test_a_batch_keeps_each_readers_furthest_seq_and_never_moves_a_marker_back():
    channel, (ann, ben, cat) = channel_with_members(name="club", usernames=["ann", "ben", "cat"])
    channel_mark_read_many(reads=[(cat.pk, channel.pk, 9)])
    channel_mark_read_many(
        reads=[(ann.pk, channel.pk, 5), (ben.pk, channel.pk, 7), (ann.pk, channel.pk, 3), (cat.pk, channel.pk, 4)]
    )
    assert _markers(channel) == {"ann": 5, "ben": 7, "cat": 9}


def test_two_nodes_moving_the_same_markers_in_opposite_orders_do_not_deadlock():
    """Each batch is one transaction: without one lock order, two nodes' batches wait on each
    other and PostgreSQL kills one of them (a deadlock), losing its reads."""
    channel, users = channel_with_members(name="busy", usernames=[f"reader{i}" for i in range(12)])
    errors = []

    def node(order: int) -> None:
        try:
            for seq in range(1, 41):
                reads = [(user.pk, channel.pk, seq) for user in users[::order]]
                channel_mark_read_many(reads=reads)
        except Exception as error:  # noqa: BLE001 - the test reports it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=node, args=(order,)) for order in (1, -1, 1, -1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(_markers(channel).values()) == {40}
