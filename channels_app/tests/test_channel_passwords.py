"""Private channels' passwords: cheap to check, and guessing them is limited like PINs."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from channels_app.models import Channel, ChannelPasswordAttempts

pytestmark = pytest.mark.django_db

PASSWORD = "hunter22-club"


def _client(user=None, address="198.51.100.1"):
    client = APIClient(REMOTE_ADDR=address)
    client.force_authenticate(user or UserFactory())
    return client


def _join(client, channel_id: int, password: str):
    return client.post(f"/api/channels/{channel_id}/join", {"password": password}, format="json")


@pytest.fixture
def private_channel():
    return _client().post("/api/channels", {"name": "club", "password": PASSWORD}, format="json").json()["id"]


def test_a_channel_password_check_costs_milliseconds_not_a_second(private_channel):
    stored = Channel.objects.get(pk=private_channel).password_hash
    assert stored.startswith("channel_pbkdf2_sha256$")
    guesser = _client()
    started = time.process_time()
    for n in range(4):
        assert _join(guesser, private_channel, f"guess-{n}").status_code == 403
    assert time.process_time() - started < 1.0  # Django's account hasher took about 0.9 s per check


def test_five_wrong_passwords_lock_that_person_out_for_15_minutes(private_channel):
    guesser = UserFactory()
    client = _client(guesser)
    wrong = [_join(client, private_channel, f"guess-{n}") for n in range(5)]
    assert [r.status_code for r in wrong] == [403, 403, 403, 403, 429]
    assert wrong[0].json() == {
        "code": "wrong_password",
        "detail": "The channel password is not right; 4 more wrong tries lock joining it for 15 minutes.",
    }
    assert wrong[4].json()["code"] == "rate_limited"
    assert _join(client, private_channel, PASSWORD).status_code == 429  # even the right one, now
    assert _join(_client(), private_channel, PASSWORD).status_code == 200  # somebody else joins

    ChannelPasswordAttempts.objects.filter(user=guesser).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert _join(client, private_channel, PASSWORD).status_code == 200


def test_a_right_password_forgets_the_wrong_ones(private_channel):
    user = UserFactory()
    client = _client(user)
    for n in range(4):
        _join(client, private_channel, f"guess-{n}")
    assert _join(client, private_channel, PASSWORD).status_code == 200
    assert not ChannelPasswordAttempts.objects.filter(user=user).exists()


def test_password_guesses_are_throttled_per_address(settings, private_channel):
    # Many accounts from one address: each is below its own lockout, the address is not.
    statuses = [_join(_client(), private_channel, "guess").status_code for _ in range(11)]
    assert statuses == [403] * 10 + [429]
    assert _join(_client(address="198.51.100.2"), private_channel, PASSWORD).status_code == 200
    # Joining public channels does not count.
    public = _client().post("/api/channels", {"name": "open"}, format="json").json()["id"]
    assert all(_client().post(f"/api/channels/{public}/join").status_code == 200 for _ in range(12))


def test_an_older_hash_still_works_once_and_is_replaced_by_a_cheap_one(settings, private_channel):
    # Hashes written before the channel hasher: Django's account hasher (PBKDF2 in production).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    Channel.objects.filter(pk=private_channel).update(password_hash=PBKDF2PasswordHasher().encode(PASSWORD, "salt1234"))
    assert _join(_client(), private_channel, "wrong").status_code == 403
    assert Channel.objects.get(pk=private_channel).password_hash.startswith("pbkdf2_sha256$")
    assert _join(_client(), private_channel, PASSWORD).status_code == 200
    assert Channel.objects.get(pk=private_channel).password_hash.startswith("channel_pbkdf2_sha256$")
    assert _join(_client(), private_channel, PASSWORD).status_code == 200
