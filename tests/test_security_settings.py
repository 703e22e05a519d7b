"""Production security settings: `manage.py check --deploy` finds nothing, API responses are never
cached, every page carries a strict Content-Security-Policy."""

import os
import secrets
import subprocess
import sys

import pytest

from chat.tests.live import ROOT

pytestmark = pytest.mark.django_db

# The README's production configuration (Configuration table): HTTPS behind a trusted proxy.
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "chat.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://chat.example.com",
    "DJANGO_HTTPS": "1",
    "TRUSTED_PROXIES": "172.30.0.10/32",
}


def test_check_deploy_reports_no_warning_in_the_production_configuration():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**os.environ, **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def _production(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600


def test_behind_the_trusted_proxy_https_requests_are_served_and_http_ones_redirected(client, settings):
    _production(settings)
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    secure = client.get("/accounts/signin/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=3600")
    assert client.get("/accounts/signin/", HTTP_X_FORWARDED_PROTO="http").status_code == 301
    assert client.get("/readyz").status_code == 200  # health checks talk plain HTTP to the node


def test_a_forged_forwarded_proto_from_anyone_else_is_not_https(client, settings):
    _production(settings)
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    response = client.get("/accounts/signin/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/signin/"


def test_api_responses_are_never_stored(api_client):
    for response in (api_client.get("/api/auth/me"), api_client.get("/api/no-such-thing")):
        assert "no-store" in response["Cache-Control"]
    api_client.post(
        "/api/auth/signup", {"email": "a@example.com", "username": "a", "password": "x-long-pass-7"}, format="json"
    )
    token = api_client.post("/api/auth/token", {"email": "a@example.com", "password": "x-long-pass-7"}, format="json")
    assert token.status_code == 200
    assert "no-store" in token["Cache-Control"] and "private" in token["Cache-Control"]


@pytest.mark.parametrize("path", ["/accounts/signin/", "/accounts/signup/", "/api/docs/", "/admin/login/"])
def test_pages_carry_a_strict_content_security_policy(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in directives[directive] and "'unsafe-eval'" not in directives[directive]
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
