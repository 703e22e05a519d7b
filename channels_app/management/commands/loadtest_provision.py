"""Users, channels and memberships for a load run, in bulk: `manage.py loadtest_provision`.

    python manage.py loadtest_provision --users 5000 --channels 1000 --per-channel 5 --output plan.json

Signing up thousands of users through the API is slow on purpose (password hashing,
sign-up throttles). This command hashes one shared password once, bulk-inserts the users,
channels and memberships, and writes the plan `python -m loadtest --plan` reads: every
user's id and an access token valid for --token-hours, and every channel's members.
Run it with the same DATABASE_URL and DJANGO_SECRET_KEY as the servers the load goes to.
"""

import json
import secrets
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from channels_app.models import Channel, Membership
from loadtest.layout import channel_members

BATCH = 2000


class Command(BaseCommand):
    help = "Bulk-create load-test users, channels and memberships and write their access tokens to a JSON plan."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, required=True)
        parser.add_argument("--channels", type=int, required=True)
        parser.add_argument("--per-channel", type=int, required=True, help="members in each channel")
        parser.add_argument("--output", required=True, help="the JSON plan to write")
        parser.add_argument("--token-hours", type=float, default=12, help="lifetime of the access tokens (default 12)")
        parser.add_argument("--password", default="", help="the shared password (default: a random one, in the plan)")

    def handle(self, *args, users, channels, per_channel, output, token_hours, password, **options):
        try:
            members = channel_members(users=users, channels=channels, per_channel=per_channel)
        except ValueError as error:
            raise CommandError(str(error)) from error
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
        self.stdout.write(f"{users} users, {channels} channels of {per_channel}: plan written to {output}")


@transaction.atomic
def _create(*, members: list[list[int]], user_count: int, password: str) -> tuple[list[User], list[Channel]]:
    run = secrets.token_hex(4)
    password_hash = make_password(password)  # once: hashing per user is what makes sign-ups slow
    people = User.objects.bulk_create(
        [
            User(email=f"load-{run}-{index}@loadtest.invalid", username=f"load-{run}-{index}", password=password_hash)
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


def _access_token(user: User, lifetime: timedelta) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=lifetime)
    return str(token)
