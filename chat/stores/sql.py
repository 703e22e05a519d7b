"""The SQL message store (Django model); the embedded default."""

from django.db import DataError, IntegrityError, transaction
from django.db.models import Max
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
    )


def _to_message(row: Message) -> dict:
    return {
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

    def find(self, *, channel_id, message_id):
        row = Message.objects.filter(channel_id=channel_id, pk=message_id).first()
        return _to_message(row) if row else None

    def find_by_client_msg_id(self, *, channel_id, client_msg_id):
        row = Message.objects.filter(channel_id=channel_id, client_msg_id=client_msg_id).first()
        return _to_message(row) if row else None
