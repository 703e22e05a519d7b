"""Throttles key on the real client address: X-Forwarded-For counts only from a trusted proxy."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

SIGNIN_LIMIT = 20  # THROTTLE_SIGNIN's default, per minute


def _sign_in(client, n: int, **headers):
    # Another email each time: one email alone would be locked out after five tries (django-axes).
    body = {"email": f"nobody{n}@example.com", "password": "wrong"}
    return client.post("/api/auth/token", body, content_type="application/json", headers=headers)


def test_a_client_varying_x_forwarded_for_is_still_throttled(client):
    statuses = [_sign_in(client, n, x_forwarded_for=f"203.0.113.{n}").status_code for n in range(SIGNIN_LIMIT + 1)]
    assert statuses[:SIGNIN_LIMIT] == [401] * SIGNIN_LIMIT
    assert statuses[-1] == 429


@override_settings(TRUSTED_PROXIES=["127.0.0.1/32"])
def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget(client):
    # The test client's peer is 127.0.0.1: the proxy. Every request comes from another client.
    statuses = {_sign_in(client, n, x_forwarded_for=f"203.0.113.{n}").status_code for n in range(SIGNIN_LIMIT + 5)}
    assert statuses == {401}


@override_settings(TRUSTED_PROXIES=["127.0.0.1/32"])
def test_behind_a_trusted_proxy_the_address_it_appended_counts_not_what_the_client_wrote(client):
    # nginx appends the address it saw; what stands left of it is the client's own text.
    statuses = [
        _sign_in(client, n, x_forwarded_for=f"10.9.9.{n}, 198.51.100.7").status_code for n in range(SIGNIN_LIMIT + 1)
    ]
    assert statuses[-1] == 429
    assert _sign_in(client, 99, x_forwarded_for="198.51.100.8").status_code == 401  # another client


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_forwarded_headers_from_a_peer_that_is_not_a_trusted_proxy_are_ignored(client):
    statuses = [_sign_in(client, n, x_forwarded_for=f"203.0.113.{n}").status_code for n in range(SIGNIN_LIMIT + 1)]
    assert statuses[-1] == 429
