"""The Accounts part of docs/api.md, through real HTTP requests to the Django stack."""

import pytest

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_signup_creates_account_and_returns_public_fields(api_client):
    response = api_client.post(
        "/api/auth/signup", {"email": "Ana@Example.com", "username": "ana", "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 201
    assert response.json() == {"id": response.json()["id"], "email": "ana@example.com", "username": "ana"}
    assert User.objects.get(email="ana@example.com").check_password(DEFAULT_PASSWORD)


def test_duplicate_email_is_400_invalid_with_field_error(api_client):
    UserFactory(email="ana@example.com")
    response = api_client.post(
        "/api/auth/signup",
        {"email": "ANA@example.com", "username": "other", "password": DEFAULT_PASSWORD},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "email" in response.json()["fields"]
    assert User.objects.filter(email__iexact="ana@example.com").count() == 1


def test_weak_password_is_400_invalid(api_client):
    response = api_client.post(
        "/api/auth/signup", {"email": "b@example.com", "username": "b", "password": "123"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "password" in response.json()["fields"]
    assert not User.objects.filter(email="b@example.com").exists()


def test_numbers_are_not_taken_as_text(api_client):
    # Found by schemathesis: DRF's CharField used to accept 1e-276 as a username.
    body = {"email": "num@example.com", "username": 1.5, "password": 12345678901234}
    response = api_client.post("/api/auth/signup", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["fields"]) == {"username", "password"}


def test_malformed_json_is_400_invalid(api_client):
    response = api_client.generic("POST", "/api/auth/signup", '{"email": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["detail"]


def test_huge_body_is_refused_with_413(api_client):
    body = '{"email": "x@example.com", "username": "' + "x" * 300_000 + '", "password": "p"}'
    response = api_client.generic("POST", "/api/auth/signup", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_token_then_me_with_bearer(api_client):
    user = UserFactory()
    tokens = api_client.post("/api/auth/token", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    assert tokens.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    me = api_client.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json() == {"id": user.id, "email": user.email, "username": user.username, "language": "", "time_zone": ""}


def test_refresh_gives_a_working_access_token(api_client):
    user = UserFactory()
    refresh = api_client.post(
        "/api/auth/token", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    ).json()["refresh"]
    response = api_client.post("/api/auth/token/refresh", {"refresh": refresh}, format="json")
    assert response.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert api_client.get("/api/auth/me").json()["id"] == user.id


def test_wrong_password_is_401_not_authenticated(api_client):
    user = UserFactory()
    response = api_client.post("/api/auth/token", {"email": user.email, "password": "wrong-password-1"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_me_without_credentials_is_401(api_client):
    response = api_client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_bad_bearer_token_is_told_in_one_sentence(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    response = api_client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "detail": "Given token not valid for any token type"}


def test_sign_in_is_throttled_with_429_rate_limited(api_client, settings):
    user = UserFactory()
    # One address trying many emails (each email alone would be locked out after five: django-axes).
    statuses = [
        api_client.post(
            "/api/auth/token", {"email": f"guess{n}@example.com", "password": "wrong-password-1"}, format="json"
        ).status_code
        for n in range(21)
    ]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429
    response = api_client.post("/api/auth/token", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    assert response.json()["code"] == "rate_limited"


def test_unknown_api_path_is_404_in_contract_shape(api_client):
    response = api_client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
