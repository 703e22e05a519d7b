from celery import shared_task

from chat.outbox import outbox_relay
from chat.persistence import persist_pending_messages


@shared_task(name="chat.persist_messages", ignore_result=True)
def persist_messages() -> int:
    return persist_pending_messages()


@shared_task(name="chat.relay_outbox", ignore_result=True)
def relay_outbox() -> int:
    """What writes announced and Redis could not take at once (chat/outbox.py)."""
    return outbox_relay()
