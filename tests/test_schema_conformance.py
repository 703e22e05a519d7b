"""Schemathesis against our own OpenAPI document: no 5xx, responses match the schema."""

import pytest
import schemathesis
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from config.wsgi_for_tests import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def bearer(db):
    user = UserFactory(email="schema@example.com")
    response = Client().post(
        "/api/auth/token", {"email": user.email, "password": DEFAULT_PASSWORD}, content_type="application/json"
    )
    return response.json()["access"]


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
# One signed-in user for every generated input is the point of the fixture.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_schema(case, bearer):
    cache.clear()  # throttle counters would otherwise turn later inputs into 429s
    # Schema-valid input may still break a rule (a weak password): 400 is right there, so
    # the "valid data is accepted" heuristic is left out; 5xx and schema mismatches fail.
    case.call_and_validate(headers={"Authorization": f"Bearer {bearer}"}, excluded_checks=[positive_data_acceptance])
