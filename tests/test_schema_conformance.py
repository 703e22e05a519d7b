"""Schemathesis against our own OpenAPI document, with every check: no 5xx, responses match the
schema, and input the schema calls valid is accepted, so a schema that advertises the wrong
body fails here. Then stateful runs follow the links between operations (an id that one
response returns is used by the next request), so whole workflows are exercised too."""

import pytest
import redis
import schemathesis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.wsgi_for_tests import application

# Every check is on. Valid input may still break a rule JSON Schema cannot state; those
# operations also accept the contract's refusal for that rule (docs/api.md), and nothing else.
CONFIG = SchemathesisConfig.from_str(
    """
[generation]
# Every text field refuses NUL (PostgreSQL cannot store it) with 400 invalid; the document says so
# in each text field's pattern (core.api.schema.document_nul_refusal), and this keeps NUL out of the rest.
allow-x00 = false

[[operations]]
# Weak or common passwords, emails and display names already taken.
include-path = "/api/auth/signup"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]

[[operations]]
# A search of more than 8 words (after dropping repeats); JSON Schema can only count its characters.
include-path = "/api/channels/{channel_id}/messages/search"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]

[[operations]]
# Handing a channel to someone who is not a member of it.
include-path = "/api/channels/{channel_id}/owner"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]

[[operations]]
# Only group wallets can be joined (a personal wallet's id answers 400).
include-path = "/api/wallets/{wallet_id}/join"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]

[[operations]]
# reply_to must name a message of the channel (400 invalid otherwise).
# One name, not include-path plus include-method: separate filters match either, so the method
# alone would hand this entry's statuses to every POST.
include-name = "POST /api/channels/{channel_id}/messages"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]

[[operations]]
# A reaction is one emoji, which a pattern cannot say (chat/changes.py::_one_emoji).
include-path = "/api/channels/{channel_id}/messages/{message_id}/reactions"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]

[[operations]]
# A due date more than ten years ahead: JSON Schema cannot state a date relative to today.
include-name = "POST /api/wallets/{wallet_id}/dues"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]

[[operations]]
# Money out: insufficient_funds (422); from and to the same wallet, a first run more than ten
# years ahead (400); a receiving wallet at the most a wallet can hold (409).
include-path-regex = "^/api/(transfers|scheduled-transfers|wallets/\\\\{wallet_id\\\\}/withdraw|dues/\\\\{dues_id\\\\}/pay)$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429"]

[[operations]]
# A time zone must be one the server knows (Asia/Seoul, UTC, ...): a name it does not know is 400.
include-path = "/api/auth/me"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401"]

[[operations]]
# Money v2 rules: a first due date in the past or more than ten years ahead, a policy that
# cannot work, a handover to someone outside the channel (400); a handover to an approver, an approval already decided (409); the
# balance when the last approval arrives (422); a second reminder within the hour (429).
include-path-regex = "^/api/(wallets/\\\\{wallet_id\\\\}/(recurring-dues|approval-policy|treasurer)|dues/\\\\{dues_id\\\\}/remind|approvals/\\\\{approval_id\\\\}/(approve|reject))$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429"]
[[operations]]
# Club life (v3): a notice names a message of the channel; a poll's options differ (ignoring case),
# it closes in the future and a vote names its own options; poll dues need a wallet of the poll's
# channel and someone who chose the option; a split names members of the channel, shares that add
# up and a wallet of the payer's; a photo must decode as one (400); a share without the money (422).
include-path-regex = "^/api/(channels/\\\\{channel_id\\\\}/(notice|polls|splits|attachments)|polls/\\\\{poll_id\\\\}/(vote|dues)|splits/\\\\{split_id\\\\}/(pay|remind))$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429"]
"""
)
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)
SIGNED_IN: dict[str, str] = {}  # the access token of this test's user


@schema.auth(refresh_interval=None)  # asked per request: each test signs its own user in
class Bearer:
    """Schemathesis's auth provider: it knows the credentials, so its ignored_auth check can
    strip them and expect the API to refuse the request."""

    def get(self, case, context):
        return SIGNED_IN.get("access", "not-signed-in-yet")  # collection asks before any test runs

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def sign_in_a_fresh_user():
    user = UserFactory(email="schema@example.com")
    response = Client().post(
        "/api/auth/token", {"email": user.email, "password": DEFAULT_PASSWORD}, content_type="application/json"
    )
    SIGNED_IN["access"] = response.json()["access"]


@pytest.fixture
def bearer(db):
    sign_in_a_fresh_user()
    yield
    SIGNED_IN.clear()


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
# One signed-in user for every generated input is the point of the fixture.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_schema(case, bearer):
    cache.clear()  # throttle counters would otherwise turn later inputs into 429s
    case.call_and_validate()


@pytest.mark.django_db(transaction=True)
def test_api_workflows_conform_to_the_schema(bearer):
    class Workflows(schema.as_state_machine()):
        def setup(self):
            # Every workflow starts from the same empty database (ids included) and Redis, so
            # Hypothesis can replay and shrink a failing one: which links are open depends on
            # what earlier responses returned.
            call_command("flush", interactive=False, verbosity=0)
            redis.Redis.from_url(django_settings.REDIS_URL).flushdb()
            cache.clear()
            sign_in_a_fresh_user()

    # The links schemathesis found between operations: what a response creates, a request uses.
    assert {
        "POST /api/channels -> 201",
        "POST /api/channels/{channel_id}/group-wallets -> 201",
        "POST /api/wallets -> 201",
        "POST /api/wallets/{wallet_id}/dues -> 201",
        "POST /api/scheduled-transfers -> 201",
    } <= set(Workflows.bundles)
    Workflows.run(
        settings=settings(
            max_examples=150, stateful_step_count=8, deadline=None, suppress_health_check=list(HealthCheck)
        )
    )
