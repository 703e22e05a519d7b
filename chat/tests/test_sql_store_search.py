"""The SQL store's search index follows its rows: PostgreSQL's index is on an expression, the
embedded mode's FTS5 table is kept by triggers (chat/migrations/0004), which these tests prove."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from channels_app.services import channel_create
from chat.models import Message
from chat.stores.sql import SqlMessageStore
from conftest import EMBEDDED

pytestmark = pytest.mark.django_db

store = SqlMessageStore()


def _store(channel, seq: int, body: str) -> dict:
    message = {
        "id": f"m{channel.pk}x{seq}",
        "channel": channel.pk,
        "seq": seq,
        "sender": {"id": channel.owner_id, "username": channel.owner.username},
        "body": body,
        "client_msg_id": f"c{seq}",
        "created_at": "2026-11-23T06:00:00+00:00",
    }
    assert store.insert_many([message]) == []
    return message


def _found(channel, *words: str) -> list[int]:
    return [m["seq"] for m in store.search(channel_id=channel.pk, words=list(words), limit=10)]


def test_a_changed_body_is_found_by_its_new_words_only():
    channel = channel_create(owner=UserFactory(), name="club")
    message = _store(channel, 1, "lunch at noon")
    Message.objects.filter(pk=message["id"]).update(body="dinner at seven")
    assert _found(channel, "dinner") == [1]
    assert _found(channel, "lunch") == []


def test_messages_of_a_deleted_channel_leave_the_index():
    # SQLite gives the next row the rowid the deleted one had: a stale index entry would match it.
    gone = channel_create(owner=UserFactory(), name="gone")
    _store(gone, 1, "apple pie recipe")
    gone.delete()
    channel = channel_create(owner=UserFactory(), name="club")
    _store(channel, 1, "banana bread")
    assert _found(channel, "apple") == []
    assert _found(channel, "banana") == [1]


@pytest.mark.skipif(EMBEDDED, reason="PostgreSQL's query plan; SQLite searches its FTS5 table by construction")
def test_postgresql_answers_a_search_from_the_gin_index():
    # A channel with a vocabulary, so that ANALYZE finds the hundred common words PostgreSQL
    # needs before it estimates a prefix term from statistics rather than a fixed 2 %.
    channel = channel_create(owner=UserFactory(), name="busy")
    bodies = {seq: " ".join(f"word{(seq * 7 + i * 13) % 300}" for i in range(8)) for seq in range(1, 5001)}
    Message.objects.bulk_create([Message(**_message_row(channel, seq), body=body) for seq, body in bodies.items()])
    _store(channel, 5001, "the rare needle")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE chat_message")
    with CaptureQueriesContext(connection) as captured:
        assert _found(channel, "needle") == [5001]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + captured.captured_queries[-1]["sql"])
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "chat_message_body_search" in plan, plan


def _message_row(channel, seq: int) -> dict:
    return {
        "id": f"m{channel.pk}x{seq}",
        "channel_id": channel.pk,
        "seq": seq,
        "sender_id": channel.owner_id,
        "sender_username": channel.owner.username,
        "client_msg_id": f"c{seq}",
        "created_at": "2026-11-23T06:00:00+00:00",
    }
