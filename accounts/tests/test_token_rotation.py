"""Refresh tokens rotate: each works once, a reused one is refused, expired ones are flushed."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.tasks import flush_expired_tokens
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _refresh(api_client, token: str):
    return api_client.post("/api/auth/token/refresh", {"refresh": token}, format="json")


def test_a_refresh_token_works_once_and_its_successor_takes_over(api_client):
    user = UserFactory()
    tokens = api_client.post("/api/auth/token", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    first = tokens.json()["refresh"]

    rotated = _refresh(api_client, first)
    assert rotated.status_code == 200
    second = rotated.json()["refresh"]
    assert second != first and rotated.json()["access"]

    reused = _refresh(api_client, first)
    assert reused.status_code == 401
    assert reused.json()["code"] == "not_authenticated"
    assert _refresh(api_client, second).status_code == 200


def test_the_hourly_task_flushes_expired_refresh_tokens(api_client):
    user = UserFactory()
    api_client.post("/api/auth/token", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    OutstandingToken.objects.update(expires_at=timezone.now() - timedelta(days=1))
    api_client.post("/api/auth/token", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    flush_expired_tokens()
    assert OutstandingToken.objects.count() == 1
