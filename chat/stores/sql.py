"""The SQL message store (Django model); the embedded default."""

from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import BooleanField, Max, OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.utils.dateparse import parse_datetime

from chat.models import Message
from chat.stores.base import MessageStore


def _to_row(message: dict) -> Message:
    return Message(
        id=message["id"],
        channel_id=message["channel"],
        seq=message["seq"],
        sender_id=message["sender"]["id"],
        sender_username=message["sender"]["username"],
        body=message["body"],
        client_msg_id=message["client_msg_id"],
        created_at=parse_datetime(message["created_at"]),
        mentions=message.get("mentions", []),
        reply_to=message.get("reply_to") or "",
        attachments=message.get("attachments", []),
    )


def _to_message(row: Message) -> dict:
    message = {
        "id": row.id,
        "channel": row.channel_id,
        "seq": row.seq,
        "sender": {"id": row.sender_id, "username": row.sender_username},
        "body": row.body,
        "client_msg_id": row.client_msg_id,
        "created_at": row.created_at.isoformat(),
        "mentions": row.mentions,
        "reply_to": row.reply_to or None,
    }
    if row.attachments:  # as it was inserted: a message without photos has no such key
        message["attachments"] = row.attachments
    return message


def _quoted_tsquery_term(word: str) -> str:
    """A word as one quoted prefix term of to_tsquery: nothing a user types is read as its syntax."""
    escaped = word.replace("\\", "\\\\").replace("'", "''")
    return f"'{escaped}':*"


def _quoted_fts5_term(word: str) -> str:
    """A word as one quoted FTS5 string with a prefix star: never an FTS5 operator or column name."""
    escaped = word.replace('"', '""')
    return f'"{escaped}"*'


def _body_has_every_word(words: list[str]) -> RawSQL:
    """A condition on chat_message rows: the body has every word as the start of one of its words.

    Both queries run the quoted words through the same tokenizer as the indexed bodies, so
    "don't" or "3.5" are split (or not) the same way on both sides.
    """
    if connection.vendor == "postgresql":
        # The 'simple' configuration lower-cases and stems nothing: Korean particles and plurals
        # stay part of the word, and the prefix term finds them ("회비" finds "회비를"). This
        # expression is the one the GIN index of migration 0003 is built on; keep them equal.
        query = " & ".join(_quoted_tsquery_term(word) for word in words)
        return RawSQL(
            "to_tsvector('simple', chat_message.body) @@ to_tsquery('simple', %s)",
            (query,),
            output_field=BooleanField(),
        )
    if connection.vendor == "sqlite":
        # chat_message_fts: the FTS5 index of migration 0004, kept in step by triggers.
        query = " AND ".join(_quoted_fts5_term(word) for word in words)
        return RawSQL(
            "chat_message.rowid IN (SELECT rowid FROM chat_message_fts WHERE chat_message_fts MATCH %s)",
            (query,),
            output_field=BooleanField(),
        )
    raise NotImplementedError(f"Message search has no index on {connection.vendor}.")


class SqlMessageStore(MessageStore):
    refusals = (DataError, IntegrityError, ValueError, KeyError, TypeError)

    def _insert(self, messages):
        # Its own transaction: foreign keys are checked at commit (a channel deleted meanwhile).
        with transaction.atomic():
            Message.objects.bulk_create([_to_row(message) for message in messages], ignore_conflicts=True)
        return []

    def range(self, *, channel_id, after_seq=0, before_seq=None, limit, newest=False):
        rows = Message.objects.filter(channel_id=channel_id, seq__gt=after_seq)
        if before_seq is not None:
            rows = rows.filter(seq__lt=before_seq)
        rows = rows.order_by("-seq" if newest else "seq")[:limit]
        messages = [_to_message(row) for row in rows]
        return sorted(messages, key=lambda message: message["seq"]) if newest else messages

    def max_seqs(self, channel_ids):
        tops = Message.objects.filter(channel_id__in=channel_ids).values("channel_id").annotate(top=Max("seq"))
        found = {row["channel_id"]: row["top"] for row in tops}
        return {channel_id: found.get(channel_id, 0) for channel_id in channel_ids}

    def latest(self, channel_ids):
        newest = Message.objects.filter(channel_id=OuterRef("channel_id")).order_by("-seq").values("seq")[:1]
        rows = Message.objects.filter(channel_id__in=channel_ids, seq=Subquery(newest))
        return {row.channel_id: _to_message(row) for row in rows}

    def find(self, *, channel_id, message_id):
        row = Message.objects.filter(channel_id=channel_id, pk=message_id).first()
        return _to_message(row) if row else None

    def find_by_client_msg_id(self, *, channel_id, sender_id, client_msg_id):
        row = Message.objects.filter(channel_id=channel_id, sender_id=sender_id, client_msg_id=client_msg_id).first()
        return _to_message(row) if row else None

    def redact(self, *, channel_id, message_ids):
        Message.objects.filter(channel_id=channel_id, pk__in=message_ids).update(body="", mentions=[])

    def search(self, *, channel_id, words, limit, before_seq=None):
        rows = Message.objects.filter(channel_id=channel_id)
        if before_seq is not None:
            rows = rows.filter(seq__lt=before_seq)
        rows = rows.filter(_body_has_every_word(words)).order_by("-seq")[:limit]
        return [_to_message(row) for row in rows]
