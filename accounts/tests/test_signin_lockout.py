"""Password guessing is limited (django-axes): five wrong passwords for one email from one address
lock that pair out for 15 minutes (the fifth answer already says so, as with wallet PINs), on the
REST token endpoint, the sign-in page and the admin."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

FAILURES = 5


def _token(email: str, password: str, address: str = "198.51.100.1"):
    body = {"email": email, "password": password}
    return APIClient(REMOTE_ADDR=address).post("/api/auth/token", body, format="json")


def test_five_wrong_passwords_lock_the_token_endpoint_for_that_email_and_address():
    user = UserFactory(email="ana@example.com")
    statuses = [_token(user.email, "wrong").status_code for _ in range(FAILURES)]
    assert statuses == [401] * (FAILURES - 1) + [429]
    locked = _token(user.email, DEFAULT_PASSWORD)  # even the right password, now
    assert locked.status_code == 429
    assert locked.json() == {
        "code": "rate_limited",
        "detail": "Too many failed sign-ins for this email. Expected available in 900 seconds.",
    }
    assert int(locked["Retry-After"]) == 15 * 60
    # Somebody else, or the owner from another address, still signs in.
    assert _token(user.email, DEFAULT_PASSWORD, address="198.51.100.2").status_code == 200
    other = UserFactory(email="ben@example.com")
    assert _token(other.email, DEFAULT_PASSWORD).status_code == 200


def test_the_count_ignores_the_case_of_the_email():
    user = UserFactory(email="ana@example.com")
    for email in ["ANA@example.com", "Ana@Example.com", "ana@EXAMPLE.com", "aNa@example.com", "ana@example.COM"]:
        _token(email, "wrong")
    assert _token(user.email, DEFAULT_PASSWORD).status_code == 429


def test_a_right_password_before_the_limit_starts_the_count_again():
    user = UserFactory(email="ana@example.com")
    for _ in range(FAILURES - 1):
        _token(user.email, "wrong")
    assert _token(user.email, DEFAULT_PASSWORD).status_code == 200
    assert [_token(user.email, "wrong").status_code for _ in range(FAILURES - 1)] == [401] * (FAILURES - 1)
    assert _token(user.email, DEFAULT_PASSWORD).status_code == 200


def test_the_sign_in_page_locks_out_after_five_wrong_passwords(client):
    user = UserFactory(email="ana@example.com")
    for _ in range(FAILURES - 1):
        assert client.post("/accounts/signin/", {"email": user.email, "password": "wrong"}).status_code == 400
    assert client.post("/accounts/signin/", {"email": user.email, "password": "wrong"}).status_code == 429
    locked = client.post("/accounts/signin/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed sign-ins. Try again in 15 minutes." in locked.content.decode()
    assert client.get("/").status_code == 302  # not signed in


def test_the_admin_login_locks_out_after_five_wrong_passwords(client):
    admin = UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    for _ in range(FAILURES - 1):
        assert client.post("/admin/login/", {"username": admin.email, "password": "wrong"}).status_code == 200
    assert client.post("/admin/login/", {"username": admin.email, "password": "wrong"}).status_code == 429
    locked = client.post("/admin/login/", {"username": admin.email, "password": DEFAULT_PASSWORD})
    assert locked.status_code == 429
    assert client.get("/admin/").status_code == 302  # still not signed in


def test_the_pages_and_the_api_share_one_count(client):
    user = UserFactory(email="ana@example.com")
    for _ in range(FAILURES - 1):
        client.post("/accounts/signin/", {"email": user.email, "password": "wrong"}, REMOTE_ADDR="198.51.100.1")
    client.post("/admin/login/", {"username": user.email, "password": "wrong"}, REMOTE_ADDR="198.51.100.1")
    assert _token(user.email, DEFAULT_PASSWORD).status_code == 429
