"""Users, channels and memberships for a load run, written straight into the product's database.

    DJANGO_SETTINGS_MODULE=config.settings python -m loadtest.database \\
        --users 5000 --channels 1000 --per-channel 5 --output plan.json

Signing up thousands of users through the API is slow on purpose (password hashing, sign-up
throttles). This hashes one shared password once, bulk-inserts the users, channels and
memberships, and writes the plan `python -m loadtest --plan` reads: every user's id and an
access token valid for --token-hours, and every channel's members. Run it from the product's
checkout with the same DATABASE_URL and DJANGO_SECRET_KEY as the servers the load goes to.
The load tool uses the product's models here; the product never imports the tool.
"""

import argparse
import json
import os
import secrets
import sys
from datetime import timedelta

from loadtest.layout import channel_members

BATCH = 2000


def write_plan(
    *,
    users: int,
    channels: int,
    per_channel: int,
    output: str,
    token_hours: float = 12,
    password: str = "",
    largest: int | None = None,
) -> dict:
    """Creates the run's users, channels and memberships; writes and returns the plan."""
    members = channel_members(users=users, channels=channels, per_channel=per_channel, largest=largest)
    password = password or secrets.token_urlsafe(12)
    people, rooms = _create(members=members, user_count=users, password=password)
    lifetime = timedelta(hours=token_hours)
    plan = {
        "password": password,
        "users": [{"id": user.pk, "email": user.email, "access": _access_token(user, lifetime)} for user in people],
        "channels": [{"id": room.pk, "members": indexes} for room, indexes in zip(rooms, members, strict=True)],
    }
    with open(output, "w") as handle:
        json.dump(plan, handle)
    return plan


def _create(*, members: list[list[int]], user_count: int, password: str):
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from accounts.models import User
    from channels_app.models import Channel, Membership

    run = secrets.token_hex(4)  # display names are unique: each run names its users after itself
    password_hash = make_password(password)  # once: hashing per user is what makes sign-ups slow
    with transaction.atomic():
        people = User.objects.bulk_create(
            [
                User(
                    email=f"load-{run}-{index}@loadtest.invalid", username=f"load-{run}-{index}", password=password_hash
                )
                for index in range(user_count)
            ],
            batch_size=BATCH,
        )
        rooms = Channel.objects.bulk_create(
            [Channel(name=f"load-{run}-{index}", owner=people[indexes[0]]) for index, indexes in enumerate(members)],
            batch_size=BATCH,
        )
        Membership.objects.bulk_create(
            [
                Membership(channel=room, user=people[index])
                for room, indexes in zip(rooms, members, strict=True)
                for index in indexes
            ],
            batch_size=BATCH,
        )
    return people, rooms


def _access_token(user, lifetime: timedelta) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(user)
    token.set_exp(lifetime=lifetime)
    return str(token)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.database", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--channels", type=int, required=True)
    parser.add_argument("--per-channel", type=int, required=True, help="members in each channel")
    parser.add_argument(
        "--largest-channel",
        type=int,
        help="rooms of mixed sizes, --per-channel up to this, every user in one (--channels is then ignored)",
    )
    parser.add_argument("--output", required=True, help="the JSON plan to write")
    parser.add_argument("--token-hours", type=float, default=12, help="lifetime of the access tokens (default 12)")
    parser.add_argument("--password", default="", help="the shared password (default: a random one, in the plan)")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    try:
        write_plan(
            users=args.users,
            channels=args.channels,
            per_channel=args.per_channel,
            output=args.output,
            token_hours=args.token_hours,
            password=args.password,
            largest=args.largest_channel,
        )
    except ValueError as error:
        parser.error(str(error))
    print(f"{args.users} users, {args.channels} channels of {args.per_channel}: plan written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
