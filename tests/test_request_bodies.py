"""Request bodies no endpoint could mean get a 400 in the contract's shape, in the reader's language."""

import pytest

from accounts.tests.factories import UserFactory
from core.api.parsers import MAX_DEPTH

pytestmark = pytest.mark.django_db


def _post(api_client, path: str, raw: bytes, **headers):
    return api_client.generic("POST", path, raw, content_type="application/json", headers=headers)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 100_000])
def test_a_deeply_nested_body_is_refused_before_anyone_walks_it(api_client, depth):
    body = b'{"email": ' + b"[" * depth + b"]" * depth + b', "password": "x"}'
    response = _post(api_client, "/api/auth/token", body)
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": f"The JSON body nests deeper than {MAX_DEPTH} levels."}


def test_a_body_nested_to_the_limit_reaches_the_endpoint(api_client):
    nested = b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1)
    response = _post(api_client, "/api/auth/token", b'{"email": ' + nested + b', "password": "x"}')
    assert response.status_code == 400 and "email" in response.json()["fields"]  # the endpoint's own refusal


def test_a_money_endpoint_refuses_a_deep_body_with_an_idempotency_key(api_client):
    api_client.force_authenticate(UserFactory())
    body = b'{"pin": "1234", "extra": ' + b"[" * 900 + b"]" * 900 + b"}"
    response = _post(api_client, "/api/wallets", body, **{"Idempotency-Key": "deep"})
    assert response.status_code == 400 and response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    ("raw", "english", "korean"),
    [
        (b'{"email": ', "The body is not valid JSON (line 1, column 11).", "본문이 올바른 JSON이 아닙니다 (1행 11열)."),
        (b'{"email": "\xff"}', "The body is not valid UTF-8.", "본문이 올바른 UTF-8이 아닙니다."),
        (b'{"email": NaN}', "The body is not valid JSON.", "본문이 올바른 JSON이 아닙니다."),
    ],
)
def test_a_body_that_is_not_json_says_where_in_the_readers_language(api_client, raw, english, korean):
    for language, detail in (("en", english), ("ko", korean)):
        response = _post(api_client, "/api/auth/token", raw, **{"Accept-Language": language})
        assert response.status_code == 400
        assert response.json() == {"code": "invalid", "detail": detail}


def test_a_host_the_server_does_not_serve_is_refused_in_the_contracts_shape(client):
    response = client.get("/api/auth/me", headers={"Host": "evil.example", "Accept-Language": "en"})
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": "The request is not valid."}
