"""A club with one of everything the API has (a message, a poll, a split, dues, an approval...) and
the OpenAPI document: the tests that go over every operation of the document use both."""

import io
from datetime import UTC, datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from wallets.tests.conftest import PIN


def build_world(club) -> dict:
    """Real ids for every path parameter, and a valid body for every operation that takes one."""
    treasurer = club["treasurer"]
    dues = treasurer.post(f"/api/wallets/{club['group']}/dues", {"title": "court", "amount": 1_000}).json()
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    to_group = {"from_wallet": treasurer.wallet_id, "to_wallet": club["group"], "amount": 10, "pin": PIN}
    schedule = treasurer.post("/api/scheduled-transfers", {**to_group, "execute_at": later, "repeat": "none"}).json()
    member = club["member"].user.pk
    policy = {"threshold": 0, "approvers": [member], "required": 1}
    treasurer.post(f"/api/wallets/{club['group']}/approval-policy", policy)
    treasurer.transfer(club["group"], 100)
    approval = treasurer.transfer(club["member"].wallet_id, 50, from_wallet=club["group"]).json()
    monthly = {"title": "court", "amount": 10, "repeat": "monthly", "first_due": f"{datetime.now(UTC).year + 5}-01-31"}
    recurring = treasurer.post(f"/api/wallets/{club['group']}/recurring-dues", monthly).json()
    message = treasurer.post(f"/api/channels/{club['channel']}/messages", {"body": "hello"}).json()
    poll = treasurer.post(
        f"/api/channels/{club['channel']}/polls", {"question": "go?", "options": ["yes", "no"]}
    ).json()
    split = {"title": "dinner", "total": 10, "members": [treasurer.user.pk], "to_wallet": treasurer.wallet_id}
    split_id = treasurer.post(f"/api/channels/{club['channel']}/splits", split).json()["id"]
    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, format="PNG")
    photo = treasurer.client.post(
        f"/api/channels/{club['channel']}/attachments",
        {"file": SimpleUploadedFile("a.png", png.getvalue(), content_type="image/png")},
        format="multipart",
    ).json()
    option = poll["options"][0]["id"]
    return {
        "client": treasurer,
        "ids": {
            "channel_id": club["channel"],
            "wallet_id": treasurer.wallet_id,
            "dues_id": dues["id"],
            "schedule_id": schedule["id"],
            "approval_id": approval["id"],
            "recurring_id": recurring["id"],
            "user_id": club["member"].user.pk,
            "message_id": message["id"],
            "poll_id": poll["id"],
            "split_id": split_id,
            "attachment_id": photo["id"],
        },
        "bodies": {
            ("post", "/api/auth/signup"): {"email": "new@example.com", "username": "new", "password": "x-long-pass-7"},
            ("post", "/api/auth/token"): {"email": "nobody@example.com", "password": "x"},
            ("post", "/api/auth/token/refresh"): {"refresh": "x"},
            ("post", "/api/channels"): {"name": "room"},
            ("post", "/api/channels/{channel_id}/join"): {},
            ("post", "/api/channels/{channel_id}/owner"): {"user_id": club["member"].user.pk},
            ("post", "/api/channels/{channel_id}/messages"): {"body": "hello"},
            ("patch", "/api/channels/{channel_id}/messages/{message_id}"): {"body": "edited"},
            ("post", "/api/channels/{channel_id}/messages/{message_id}/reactions"): {"emoji": "👍"},
            ("post", "/api/channels/{channel_id}/read"): {"seq": 1},
            ("post", "/api/channels/{channel_id}/group-wallets"): {"name": "fund"},
            ("post", "/api/wallets"): {"pin": PIN},
            ("post", "/api/wallets/{wallet_id}/deposit"): {"amount": 10},
            ("post", "/api/wallets/{wallet_id}/withdraw"): {"amount": 10, "pin": PIN},
            ("post", "/api/wallets/{wallet_id}/dues"): {"title": "court", "amount": 10},
            ("post", "/api/transfers"): to_group,
            ("post", "/api/scheduled-transfers"): {**to_group, "execute_at": later, "repeat": "none"},
            ("post", "/api/dues/{dues_id}/pay"): {"pin": PIN},
            ("post", "/api/wallets/{wallet_id}/treasurer"): {"user_id": member, "pin": PIN},
            ("post", "/api/wallets/{wallet_id}/approval-policy"): policy,
            ("post", "/api/wallets/{wallet_id}/recurring-dues"): monthly,
            ("post", "/api/approvals/{approval_id}/approve"): {"pin": PIN},
            ("post", "/api/approvals/{approval_id}/reject"): {"pin": PIN},
            ("post", "/api/channels/{channel_id}/notice"): {"message_id": message["id"]},
            ("post", "/api/channels/{channel_id}/polls"): {"question": "go?", "options": ["yes", "no"]},
            ("post", "/api/polls/{poll_id}/vote"): {"options": [option]},
            ("post", "/api/polls/{poll_id}/dues"): {"wallet": club["group"], "amount": 10, "option": option},
            ("post", "/api/channels/{channel_id}/splits"): split,
            ("post", "/api/splits/{split_id}/pay"): {"pin": PIN},
            ("post", "/api/channels/{channel_id}/attachments"): {},  # multipart: its integers are in the path
        },
    }


def document(client) -> dict:
    """The OpenAPI document the server serves, as a signed-in client reads it."""
    return client.client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def resolve(schema: dict, node: dict) -> dict:
    """A schema with its $ref followed."""
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node
