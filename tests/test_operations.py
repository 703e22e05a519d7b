"""Operational endpoints: health, readiness, metrics, schema and offline API docs."""

import pytest

from chat.realtime.drain import draining
from config.heartbeat import heartbeat_write

pytestmark = pytest.mark.django_db


def test_healthz_answers_200(client):
    assert client.get("/healthz").status_code == 200


def test_readyz_is_200_while_database_and_redis_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    # No beat or worker runs here: that is reported, and not a reason to take the node out.
    assert response.json()["checks"] == {
        "database": True,
        "redis": True,
        "background": False,
        "draining": False,
    }


def test_readyz_reports_background_work_that_ran_lately(client):
    heartbeat_write()  # what beat and a worker do every BACKGROUND_HEARTBEAT_SECONDS
    assert client.get("/readyz").json()["checks"]["background"] is True


def test_readyz_is_503_while_draining(client):
    draining.set()
    try:
        response = client.get("/readyz")
    finally:
        draining.clear()
    assert response.status_code == 503
    assert response.json()["checks"]["draining"] is True


def test_metrics_exposes_prometheus_text(client):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert "django_http_requests_total_by_view_transport_method_total" in response.content.decode()


def test_schema_lists_the_accounts_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = response.json()["paths"]
    assert {"/api/auth/signup", "/api/auth/token", "/api/auth/token/refresh", "/api/auth/me"} <= set(paths)


def test_swagger_ui_loads_its_assets_locally(client):
    page = client.get("/api/docs/").content.decode()
    assert "cdn" not in page.lower()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200


def test_metrics_refuse_a_client_outside_the_allowed_networks(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "django_http" not in response.content.decode()


def test_metrics_answer_the_scraper_with_the_token_from_anywhere(client, settings):
    settings.METRICS_TOKEN = "scrape-me-0123456789"
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer scrape-me-0123456789")
    assert response.status_code == 200
    assert "django_http_requests_total_by_view_transport_method_total" in response.content.decode()


def test_metrics_answer_an_allowed_network(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["203.0.113.0/24"]
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
