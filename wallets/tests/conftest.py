import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory

PIN = "1234"


class Person:
    """A signed-in API client with a personal wallet (when opened)."""

    def __init__(self, username: str):
        self.user = UserFactory(username=username)
        self.client = APIClient()
        self.client.force_authenticate(self.user)
        self.wallet_id: int | None = None

    def post(self, path: str, body: dict | None = None, **headers):
        return self.client.post(path, body or {}, format="json", headers=headers)

    def get(self, path: str):
        return self.client.get(path)

    def open_wallet(self, *, pin: str = PIN, deposit: int = 0) -> "Person":
        response = self.post("/api/wallets", {"pin": pin})
        assert response.status_code == 201, response.json()
        self.wallet_id = response.json()["id"]
        if deposit:
            assert self.post(f"/api/wallets/{self.wallet_id}/deposit", {"amount": deposit}).status_code == 200
        return self

    def balance(self, wallet_id: int | None = None) -> int:
        return self.get(f"/api/wallets/{wallet_id or self.wallet_id}").json()["balance"]

    def transfer(
        self, to_wallet: int, amount: int, *, pin: str = PIN, from_wallet: int | None = None, memo: str = "", **headers
    ):
        body = {
            "from_wallet": from_wallet or self.wallet_id,
            "to_wallet": to_wallet,
            "amount": amount,
            "pin": pin,
            "memo": memo,
        }
        return self.post("/api/transfers", body, **headers)


@pytest.fixture
def person():
    """person("alice") -> a new signed-in Person."""
    return Person


@pytest.fixture
def club(person):
    """A channel with a treasurer and a member, a group wallet the member joined, both wallets funded."""
    treasurer = person("treasurer").open_wallet(deposit=100_000)
    member = person("member").open_wallet(deposit=50_000)
    channel = treasurer.post("/api/channels", {"name": "book club"}).json()
    assert member.post(f"/api/channels/{channel['id']}/join").status_code == 200
    group = treasurer.post(f"/api/channels/{channel['id']}/group-wallets", {"name": "club fund"}).json()
    assert member.post(f"/api/wallets/{group['id']}/join").status_code == 200
    return {"treasurer": treasurer, "member": member, "channel": channel["id"], "group": group["id"]}


# The live-server fixtures of the chat tests (real web nodes, chat.realtime.server, sharing Redis).
from chat.tests.conftest import server_environment, two_nodes, worker_factory  # noqa: E402, F401
