"""A deleted message's body leaves the message store too, not only history's view of it.

A message is in the store, or still waiting in Redis for it (the persistence stream). The
deletion redacts what is stored once it commits; persistence redacts what it stores after
checking for deletions. Whichever comes second finds the other's result, so no order leaves a
deleted body in the store.
"""

from django.db import transaction

from chat.models import MessageState
from chat.stores import get_message_store


def redact_on_commit(message: dict) -> None:
    """Once the deletion of `message` commits, the store forgets its body (if it holds it yet)."""
    transaction.on_commit(
        lambda: get_message_store().redact(channel_id=message["channel"], message_ids=[message["id"]])
    )


def deleted_bodies_forget(*, store, messages: list[dict]) -> None:
    """Just-stored messages that were deleted while they waited lose their body in the store.

    Called after the store write: a deletion committed before this query is found here, one
    committed after it finds the message stored and redacts it itself."""
    deleted = MessageState.objects.filter(message_id__in=[m["id"] for m in messages], deleted=True)
    by_channel: dict[int, list[str]] = {}
    for channel_id, message_id in deleted.values_list("channel_id", "message_id"):
        by_channel.setdefault(channel_id, []).append(message_id)
    for channel_id, message_ids in by_channel.items():
        store.redact(channel_id=channel_id, message_ids=message_ids)
