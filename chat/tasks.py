from celery import shared_task

from chat.persistence import persist_pending_messages


@shared_task(name="chat.persist_messages", ignore_result=True)
def persist_messages() -> int:
    return persist_pending_messages()
