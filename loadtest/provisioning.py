"""Users and channels for a run: a plan file, the bulk command, the REST API, or none at all.

A plan is what the run needs: every user's id and access token, and every channel's id
and members (indexes into the users). `python -m loadtest.database` writes one in
seconds where the tool runs beside the product's code and database; the REST API works
against any deployment but signs users up one by one (password hashing, throttles).
Servers without accounts (the reference servers in bench/) take a synthetic plan.
"""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx

from loadtest.layout import channel_members

REST_CONCURRENCY = 20


class ProvisioningError(Exception):
    pass


@dataclass
class Plan:
    users: list[dict]  # {"id", "access"}
    channels: list[dict]  # {"id", "members": [user index]}

    def subscriptions(self) -> dict[int, list[int]]:
        """User index -> the channel ids that user subscribes to."""
        channels_of: dict[int, list[int]] = {index: [] for index in range(len(self.users))}
        for channel in self.channels:
            for index in channel["members"]:
                channels_of[index].append(channel["id"])
        return channels_of


def load_plan(path: str) -> Plan:
    with open(path) as handle:
        data = json.load(handle)
    return Plan(users=data["users"], channels=data["channels"])


def synthetic_plan(*, users: int, channels: int, per_channel: int, largest: int | None = None) -> Plan:
    """Ids without accounts, for servers that check none."""
    members = channel_members(users=users, channels=channels, per_channel=per_channel, largest=largest)
    return Plan(
        users=[{"id": index + 1, "access": None} for index in range(users)],
        channels=[{"id": index + 1, "members": indexes} for index, indexes in enumerate(members)],
    )


def command_available(base_url: str) -> bool:
    """The bulk command fits when the product's code is here and the deployment is on this machine."""
    host = urlparse(base_url).hostname or ""
    return Path("manage.py").is_file() and (host in ("localhost", "::1") or host.startswith("127."))


def plan_with_command(
    *, users: int, channels: int, per_channel: int, token_hours: float, largest: int | None = None
) -> Plan:
    """Runs `python -m loadtest.database` with this environment (DATABASE_URL, DJANGO_SECRET_KEY)."""
    with tempfile.TemporaryDirectory() as folder:
        output = os.path.join(folder, "plan.json")
        command = [
            sys.executable,
            "-m",
            "loadtest.database",
            "--users",
            str(users),
            "--channels",
            str(channels),
            "--per-channel",
            str(per_channel),
            "--token-hours",
            str(token_hours),
            "--output",
            output,
            *(["--largest-channel", str(largest)] if largest else []),
        ]
        finished = subprocess.run(command, capture_output=True, text=True)
        if finished.returncode != 0:
            raise ProvisioningError(f"python -m loadtest.database failed:\n{finished.stderr[-2000:]}")
        return load_plan(output)


def plan_with_rest(*, base_url: str, users: int, channels: int, per_channel: int, largest: int | None = None) -> Plan:
    return asyncio.run(_plan_with_rest(base_url, users, channels, per_channel, largest))


async def _plan_with_rest(base_url: str, users: int, channels: int, per_channel: int, largest: int | None) -> Plan:
    members = channel_members(users=users, channels=channels, per_channel=per_channel, largest=largest)
    run = uuid.uuid4().hex[:8]
    password = f"load-{uuid.uuid4().hex}"
    gate = asyncio.Semaphore(REST_CONCURRENCY)
    limits = httpx.Limits(max_connections=REST_CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as http:

        async def call(method: str, path: str, body: dict, token: str | None = None) -> dict:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with gate:
                response = await http.request(method, path, json=body, headers=headers)
            if response.status_code == 429:
                raise ProvisioningError(
                    f"{path} answered 429: the deployment throttles sign-up/sign-in (THROTTLE_SIGNUP, "
                    "THROTTLE_SIGNIN); raise them for the run, or provision with python -m loadtest.database"
                )
            if response.status_code >= 400:
                raise ProvisioningError(f"{method} {path} answered {response.status_code}: {response.text[:300]}")
            return response.json() if response.content else {}

        async def sign_up(index: int) -> dict:
            email = f"load-{run}-{index}@loadtest.invalid"
            account = await call(
                "POST", "/api/auth/signup", {"email": email, "username": f"load-{run}-{index}", "password": password}
            )
            tokens = await call("POST", "/api/auth/token", {"email": email, "password": password})
            return {"id": account["id"], "access": tokens["access"]}

        people = await asyncio.gather(*(sign_up(index) for index in range(users)))

        async def open_channel(index: int, indexes: list[int]) -> dict:
            owner = people[indexes[0]]
            channel = await call("POST", "/api/channels", {"name": f"load-{run}-{index}"}, owner["access"])
            await asyncio.gather(
                *(
                    call("POST", f"/api/channels/{channel['id']}/join", {}, people[member]["access"])
                    for member in indexes[1:]
                )
            )
            return {"id": channel["id"], "members": indexes}

        rooms = await asyncio.gather(*(open_channel(index, indexes) for index, indexes in enumerate(members)))
    return Plan(users=list(people), channels=list(rooms))
