"""What users do through nginx on a deployment: sign up, chat across nodes, pay dues.

Everything goes to 127.0.0.1 on the one published port, as a browser or app would.
"""

import asyncio
import secrets

import httpx

from chat.tests.resuming import ResumingClient
from ops.tests.scrape import wait_until

PASSWORD = "a-long-club-passphrase-7"
PIN = "4821"
SEND_INTERVAL_SECONDS = 0.3


class Api:
    """A signed-up, signed-in user's REST client (a real JWT from /api/auth/token)."""

    def __init__(self, base_url: str, username: str):
        self.username = username
        self.http = httpx.Client(base_url=base_url, timeout=15)
        email = f"{username}@example.com"
        signup = self.http.post("/api/auth/signup", json={"email": email, "username": username, "password": PASSWORD})
        assert signup.status_code == 201, signup.text
        self.id = signup.json()["id"]
        token = self.http.post("/api/auth/token", json={"email": email, "password": PASSWORD})
        assert token.status_code == 200, token.text
        self.token = token.json()["access"]
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    def post(self, path: str, body: dict | None = None, status: int = 200, **headers) -> dict:
        response = self.http.post(path, json=body or {}, headers=headers)
        assert response.status_code == status, (path, response.status_code, response.text)
        return response.json() if response.content else {}

    def get(self, path: str, **params) -> dict:
        response = self.http.get(path, params=params)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def history(self, channel_id: int) -> list[dict]:
        messages, after = [], 0
        while True:
            page = self.get(f"/api/channels/{channel_id}/messages", after_seq=after, limit=100)
            messages += page["results"]
            if not page["has_more"]:
                return messages
            after = page["results"][-1]["seq"]


def sign_up(base_url: str, prefix: str, count: int) -> list[Api]:
    tag = secrets.token_hex(3)
    return [Api(base_url, f"{prefix}{tag}{n}") for n in range(count)]


def rooms(users: list[Api], per_room: int) -> list[tuple[int, list[Api]]]:
    """Channels of per_room members each, the first member the owner."""
    made = []
    for start in range(0, len(users), per_room):
        members = users[start : start + per_room]
        channel = members[0].post("/api/channels", {"name": f"room {start // per_room}"}, status=201)
        for member in members[1:]:
            member.post(f"/api/channels/{channel['id']}/join")
        made.append((channel["id"], members))
    return made


def clients(ws_url: str, made: list[tuple[int, list[Api]]]) -> list[ResumingClient]:
    return [
        ResumingClient(ws_url, user.token, channel_id, name=user.username)
        for channel_id, members in made
        for user in members
    ]


class Talk:
    """Every client sends a message every SEND_INTERVAL_SECONDS until stopped (the traffic under faults)."""

    def __init__(self, talkers: list[ResumingClient]):
        self.talkers = talkers
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self._stop.is_set():
            for client in self.talkers:
                await client.send_next()
            await asyncio.sleep(SEND_INTERVAL_SECONDS)

    async def stop(self) -> None:
        self._stop.set()
        await self._task


async def settle(talkers: list[ResumingClient]) -> None:
    """Every message acknowledged (resent when its ack was lost), every member up to the room's last seq."""

    async def acknowledged():
        for client in talkers:
            await client.resend_unacked()
        return all(not c.unacked for c in talkers)

    await wait_until(acknowledged, timeout=90, what="every message acknowledged")
    for channel_id in {c.channel_id for c in talkers}:
        members = [c for c in talkers if c.channel_id == channel_id]
        last = max(ack["seq"] for c in members for ack in c.acks.values())
        await wait_until(lambda members=members, last=last: all(c.last_seq >= last for c in members), timeout=60)


def acks_of(talkers: list[ResumingClient], channel_id: int) -> dict[int, str]:
    return {a["seq"]: a["id"] for c in talkers if c.channel_id == channel_id for a in c.acks.values()}


def assert_nothing_lost(talkers: list[ResumingClient], reader: Api, channel_id: int) -> None:
    """Every acknowledged message once, in order, to every member, and in history; nothing else."""
    acks = acks_of(talkers, channel_id)
    stored = {
        m["seq"]: m["id"]
        for m in reader.history(channel_id)
        if m["client_msg_id"] in {key for c in talkers if c.channel_id == channel_id for key in c.acks}
    }
    assert stored == acks, "history differs from what was acknowledged"
    for client in (c for c in talkers if c.channel_id == channel_id):
        received = [seq for seq in client.seqs_received if seq in acks]
        assert received == sorted(acks), f"{client.name} missed or repeated messages"
        assert {seq: client.ids_by_seq[seq] for seq in acks} == acks
        assert not client.refusals, client.refusals
