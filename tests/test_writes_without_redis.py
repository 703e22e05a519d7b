"""No REST write answers 5xx after it committed: every write operation of the OpenAPI document,
with Redis killed, either refuses before it changes anything (503 `unavailable`, Retry-After) or
commits and answers 2xx (what it announces waits in the outbox: chat/outbox.py).

The operations come from the live node's /api/schema/: a write added to the API without a request
below fails this test until it has one. Each operation gets a fresh club (treasurer, member, a
second member, an outsider, wallets, dues, a pending approval, a schedule, a message); the
database's rows are compared before and after a 503. The outcome of each goes to
var/test-artifacts/writes-without-redis.json.
"""

import io
import json
import signal
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from PIL import Image
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from channels_app.services import channel_create, channel_join
from chat import notices, polls
from chat.stores import get_message_store
from chat.tests.live import ROOT, RedisServer, WebNode, access_token
from conftest import EMBEDDED
from wallets.services import approvals, dues, schedules, splits, transfers
from wallets.services import wallets as wallet_services

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(EMBEDDED, reason="Redis is what goes away: production mode"),
]

PIN = "1234"
WRITES = ("post", "put", "patch", "delete")
FIGURES = ROOT / "var" / "test-artifacts" / "writes-without-redis.json"
TABLES = ("accounts_", "channels_app_", "chat_", "wallets_", "token_blacklist_")


def _club() -> dict:
    treasurer, member, other, outsider = (UserFactory() for _ in range(4))
    channel = channel_create(owner=treasurer, name="club")
    for user in (member, other):
        channel_join(user=user, channel=channel)
    personal = {}
    for user in (treasurer, member):
        personal[user.pk] = wallet_services.personal_wallet_open(owner=user, pin=PIN).pk
        transfers.wallet_deposit(actor=user, wallet_id=personal[user.pk], amount=50_000)
    group = wallet_services.group_wallet_create(owner=treasurer, channel_id=channel.pk, name="fund")
    wallet_services.group_wallet_join(user=member, wallet=group)
    transfers.wallet_transfer(
        actor=treasurer, source_id=personal[treasurer.pk], target_id=group.pk, amount=9_000, pin=PIN
    )
    approvals.approval_policy_set(
        actor=treasurer, wallet_id=group.pk, threshold=1_000, approver_ids=[member.pk], required=1
    )
    pending = transfers.wallet_transfer(
        actor=treasurer, source_id=group.pk, target_id=personal[member.pk], amount=2_000, pin=PIN
    )
    asked = dues.dues_create(actor=treasurer, wallet_id=group.pk, title="May", amount=500)
    recurring = dues.recurring_dues_create(
        actor=treasurer,
        wallet_id=group.pk,
        title="monthly",
        amount=500,
        repeat="monthly",
        first_due=timezone.localdate() + timedelta(days=40),
    )
    schedule = schedules.scheduled_transfer_create(
        actor=member,
        source_id=personal[member.pk],
        target_id=personal[treasurer.pk],
        amount=100,
        pin=PIN,
        execute_at=timezone.now() + timedelta(days=3),
        repeat="none",
    )
    message = {
        "id": "c0ffee" + format(channel.pk, "x"),
        "channel": channel.pk,
        "seq": 1,
        "sender": {"id": member.pk, "username": member.username},
        "body": "hello",
        "client_msg_id": "c-1",
        "created_at": timezone.now().isoformat(),
        "mentions": [],
        "reply_to": None,
    }
    get_message_store().insert_many([message])
    notices.channel_notice_pin(user=treasurer, channel_id=channel.pk, message_id=message["id"])
    poll = polls.poll_create(
        user=member, channel_id=channel.pk, question="hike?", options=["yes", "no"], multiple=False
    )
    decided = polls.poll_create(
        user=treasurer, channel_id=channel.pk, question="go?", options=["yes", "no"], multiple=False
    )
    going = decided.options.order_by("position").first()
    polls.poll_vote(user=member, poll_id=decided.pk, option_ids=[going.pk])
    polls.poll_close(user=treasurer, poll_id=decided.pk)
    split = splits.split_create(
        actor=treasurer,
        channel_id=channel.pk,
        title="dinner",
        total=3_000,
        members=[member.pk, other.pk],
        to_wallet_id=personal[treasurer.pk],
    )
    return {
        "treasurer": treasurer,
        "member": member,
        "other": other,
        "outsider": outsider,
        "channel_id": channel.pk,
        "group": group.pk,
        "mine": personal[member.pk],
        "theirs": personal[treasurer.pk],
        "approval_id": pending.pk,
        "dues_id": asked.pk,
        "recurring_id": recurring.pk,
        "schedule_id": schedule.pk,
        "message_id": message["id"],
        "poll_id": poll.pk,
        "decided_poll": decided.pk,
        "going": going.pk,
        "split_id": split.pk,
    }


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(out, format="PNG")
    return out.getvalue()


def _request(club: dict, operation: str) -> tuple[str | None, dict, dict | None]:
    """(who, path parameters, body) of one write operation, against a fresh club."""
    c = club
    later = (timezone.now() + timedelta(days=2)).isoformat()
    first_due = (timezone.localdate() + timedelta(days=10)).isoformat()
    return {
        "POST /api/channels/{channel_id}/attachments": ("member", {}, {"file": ("hike.png", _png(), "image/png")}),
        "POST /api/channels/{channel_id}/notice": ("treasurer", {}, {"message_id": c["message_id"]}),
        "DELETE /api/channels/{channel_id}/notice": ("treasurer", {}, None),
        "POST /api/channels/{channel_id}/polls": ("member", {}, {"question": "when?", "options": ["sat", "sun"]}),
        "POST /api/polls/{poll_id}/vote": ("other", {}, {"options": []}),
        "POST /api/polls/{poll_id}/close": ("member", {}, {}),
        "POST /api/polls/{poll_id}/dues": (
            "treasurer",
            {"poll_id": c["decided_poll"]},
            {"wallet": c["group"], "amount": 1_000, "option": c["going"]},
        ),
        "POST /api/channels/{channel_id}/splits": (
            "member",
            {},
            {"title": "taxi", "total": 900, "members": [c["other"].pk], "to_wallet": c["mine"]},
        ),
        "POST /api/splits/{split_id}/pay": ("member", {}, {"pin": PIN}),
        "POST /api/splits/{split_id}/remind": ("treasurer", {}, {}),
        "POST /api/approvals/{approval_id}/approve": ("member", {"approval_id": c["approval_id"]}, {"pin": PIN}),
        "POST /api/approvals/{approval_id}/reject": ("member", {"approval_id": c["approval_id"]}, {"pin": PIN}),
        "PATCH /api/auth/me": ("member", {}, {"language": "ko"}),
        "POST /api/auth/signup": (
            None,
            {},
            {"email": "new@example.com", "username": "newbie", "password": "a-Long-pass-42"},
        ),
        "POST /api/auth/token": (None, {}, {"email": c["member"].email, "password": DEFAULT_PASSWORD}),
        "POST /api/auth/token/refresh": (None, {}, {"refresh": str(RefreshToken.for_user(c["member"]))}),
        "POST /api/channels": ("member", {}, {"name": "new room"}),
        "PATCH /api/channels/{channel_id}": ("treasurer", {}, {"description": "hikes on Sundays"}),
        "POST /api/channels/{channel_id}/group-wallets": ("treasurer", {}, {"name": "trip"}),
        "POST /api/channels/{channel_id}/join": ("outsider", {}, {}),
        "POST /api/channels/{channel_id}/leave": ("other", {}, {}),
        "DELETE /api/channels/{channel_id}/members/{user_id}": ("treasurer", {"user_id": c["other"].pk}, None),
        "POST /api/channels/{channel_id}/messages": ("member", {}, {"body": "hi"}),
        "PATCH /api/channels/{channel_id}/messages/{message_id}": ("member", {}, {"body": "edited"}),
        "DELETE /api/channels/{channel_id}/messages/{message_id}": ("member", {}, None),
        "POST /api/channels/{channel_id}/messages/{message_id}/reactions": ("member", {}, {"emoji": "👍"}),
        "POST /api/channels/{channel_id}/owner": ("treasurer", {}, {"user_id": c["other"].pk}),
        "POST /api/channels/{channel_id}/read": ("member", {}, {"seq": 1}),
        "POST /api/dues/{dues_id}/pay": ("member", {}, {"pin": PIN}),
        "POST /api/dues/{dues_id}/remind": ("treasurer", {}, {}),
        "DELETE /api/recurring-dues/{recurring_id}": ("treasurer", {}, None),
        "POST /api/scheduled-transfers": (
            "member",
            {},
            {
                "from_wallet": c["mine"],
                "to_wallet": c["theirs"],
                "amount": 100,
                "pin": PIN,
                "execute_at": later,
                "repeat": "none",
            },
        ),
        "DELETE /api/scheduled-transfers/{schedule_id}": ("member", {}, None),
        "POST /api/transfers": (
            "member",
            {},
            {"from_wallet": c["mine"], "to_wallet": c["theirs"], "amount": 100, "pin": PIN},
        ),
        "POST /api/wallets": ("outsider", {}, {"pin": PIN}),
        "POST /api/wallets/{wallet_id}/approval-policy": (
            "treasurer",
            {"wallet_id": c["group"]},
            {"threshold": 5_000, "approvers": [c["member"].pk], "required": 1},
        ),
        "POST /api/wallets/{wallet_id}/deposit": ("member", {"wallet_id": c["mine"]}, {"amount": 100}),
        "POST /api/wallets/{wallet_id}/dues": (
            "treasurer",
            {"wallet_id": c["group"]},
            {"title": "June", "amount": 700},
        ),
        "POST /api/wallets/{wallet_id}/join": ("other", {"wallet_id": c["group"]}, {}),
        "POST /api/wallets/{wallet_id}/recurring-dues": (
            "treasurer",
            {"wallet_id": c["group"]},
            {"title": "weekly", "amount": 300, "repeat": "weekly", "first_due": first_due},
        ),
        "POST /api/wallets/{wallet_id}/treasurer": (
            "treasurer",
            {"wallet_id": c["group"]},
            {"user_id": c["other"].pk, "pin": PIN},
        ),
        "POST /api/wallets/{wallet_id}/withdraw": ("member", {"wallet_id": c["mine"]}, {"amount": 100, "pin": PIN}),
    }[operation]


def _fingerprint() -> dict[str, str]:
    """Every row of the product's tables, hashed per table."""
    tables = [name for name in connection.introspection.table_names() if name.startswith(TABLES)]
    with connection.cursor() as cursor:
        found = {}
        for table in tables:
            cursor.execute(f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t")  # noqa: S608
            found[table] = cursor.fetchone()[0]
    return found


def _multipart(files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + content
        + b"\r\n"
        for name, (filename, content, content_type) in files.items()
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _send(node: WebNode, method: str, path: str, user, body: dict | None) -> tuple[int, object, dict | None]:
    """JSON, or multipart where the body's values are files (name, content, type)."""
    if body and all(isinstance(value, tuple) for value in body.values()):
        data, content_type = _multipart(body)
    else:
        data, content_type = (None if body is None else json.dumps(body).encode()), "application/json"
    headers = {"Content-Type": content_type}
    if user is not None:
        headers["Authorization"] = f"Bearer {access_token(user)}"
    request = urllib.request.Request(
        f"{node.http_url}{path}",
        data=data,
        headers=headers,
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def node_without_redis(server_environment, tmp_path_factory):
    redis_server = RedisServer("writes-redis", tmp_path_factory.mktemp("writes-redis"))
    env = {**server_environment, "REDIS_URL": redis_server.url, "CELERY_BROKER_URL": redis_server.url}
    node = WebNode(env, "writes-node")
    with urllib.request.urlopen(f"{node.http_url}/api/schema/?format=json", timeout=30) as response:
        schema = json.loads(response.read())
    yield node, redis_server, schema
    node.stop()
    redis_server.stop()


def test_every_write_refuses_untouched_or_commits_when_redis_is_killed(node_without_redis):
    node, redis_server, schema = node_without_redis
    operations = [
        f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item if method in WRITES
    ]
    outcomes = {}
    for operation in operations:
        club = _club()
        who, parameters, body = _request(club, operation)
        method, template = operation.split(" ", 1)
        path = template.format(**{**club, **parameters})
        before = _fingerprint()
        redis_server.kill(signal.SIGKILL)  # killed just before the request (a no-op once it is dead)
        status, headers, answer = _send(node, method, path, club.get(who), body)
        outcomes[operation] = status
        assert status < 500 or status == 503, (operation, status, answer)
        assert status < 300 or status == 503, (operation, status, answer)  # the request itself is valid
        if status == 503:
            assert answer["code"] == "unavailable" and int(headers["Retry-After"]) > 0, (operation, answer)
            assert _fingerprint() == before, f"{operation} answered 503 but changed the database"
        else:
            assert _fingerprint() != before or operation == "POST /api/auth/token/refresh", operation
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(outcomes, indent=1))
    print("\n".join(f"{status} {operation}" for operation, status in outcomes.items()))  # noqa: T201
    assert len(outcomes) >= 42
