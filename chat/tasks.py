from celery import shared_task

from chat.attachments import attachment_thumbnail_make
from chat.outbox import kept_events_trim, outbox_relay
from chat.persistence import persist_pending_messages
from chat.polls import polls_close_due


@shared_task(name="chat.persist_messages", ignore_result=True)
def persist_messages() -> int:
    return persist_pending_messages()


@shared_task(name="chat.relay_outbox", ignore_result=True)
def relay_outbox() -> int:
    """What writes announced and Redis could not take at once (chat/outbox.py)."""
    return outbox_relay()


@shared_task(name="chat.trim_kept_events", ignore_result=True)
def trim_kept_events() -> int:
    return kept_events_trim()


@shared_task(name="chat.close_due_polls", ignore_result=True)
def close_due_polls() -> int:
    return polls_close_due()


@shared_task(name="chat.make_thumbnail", ignore_result=True, acks_late=True, autoretry_for=(OSError,), max_retries=3)
def make_thumbnail(attachment_id: int) -> None:
    attachment_thumbnail_make(attachment_id=attachment_id)
