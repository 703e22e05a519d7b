"""Idempotency-Key on the money endpoints, with Stripe's semantics.

The same key and body replays the first response (status and body); the same key with
another body (or on another endpoint) is 409 idempotency_conflict; keys are per user.
Concurrent requests with one key queue on the record's row lock, so the work runs once
and every one of them gets the same answer. Requests refused by validation (400 before
the work starts) and server errors are not recorded, as at Stripe.
"""

import hashlib
import json
from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext
from rest_framework.response import Response

from core.api.errors import DomainError, error_body
from wallets.errors import IdempotencyConflict
from wallets.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _respond(run: Callable[[], Response]) -> Response:
    try:
        return run()
    except DomainError as error:
        return Response(error_body(error.code, str(error.detail), error.fields), status=error.status_code)


def idempotent(request, run: Callable[[], Response]) -> Response:
    """Runs `run` once per (user, Idempotency-Key); without the header it just runs it."""
    key = request.headers.get(HEADER)
    if key is None:
        return run()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            gettext("%(header)s must be 1 to %(length)d characters.") % {"header": HEADER, "length": MAX_KEY_LENGTH}
        )
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        record, _ = IdempotencyRecord.objects.get_or_create(
            user=request.user, key=key, defaults={"fingerprint": fingerprint}
        )
        record = IdempotencyRecord.objects.select_for_update().get(pk=record.pk)
        if record.fingerprint != fingerprint:
            raise IdempotencyConflict()
        if record.response_status is not None:
            body = json.loads(record.response_body)
            return Response(body, status=record.response_status, headers={"Idempotent-Replayed": "true"})
        response = _respond(run)
        record.response_status, record.response_body = response.status_code, json.dumps(response.data)
        record.save(update_fields=["response_status", "response_body"])
    return response
