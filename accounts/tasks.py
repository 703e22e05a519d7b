"""Celery entry points for accounts."""

from celery import shared_task
from django.core.management import call_command


@shared_task(name="accounts.flush_expired_tokens")
def flush_expired_tokens() -> None:
    """Every refresh token issued is recorded (rotation and its blacklist); expired ones are dropped."""
    call_command("flushexpiredtokens")
