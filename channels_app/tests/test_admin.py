"""The Channel admin shows each channel's owner and whether it is private, and filters by privacy."""

import pytest

from accounts.tests.factories import UserFactory
from channels_app.services import channel_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_channel_list_shows_owner_and_privacy_and_filters_private_ones(admin_client):
    channel_create(owner=UserFactory(username="mina"), name="open room")
    secret = channel_create(owner=UserFactory(username="joon"), name="secret room", password="hunter22")

    page = admin_client.get("/admin/channels_app/channel/").content.decode()
    assert "mina &lt;" in page and "joon &lt;" in page  # the owner column
    assert "Private (password)" in page  # the privacy filter

    private = admin_client.get("/admin/channels_app/channel/?private=yes").content.decode()
    assert "secret room" in private and "open room" not in private
    public = admin_client.get("/admin/channels_app/channel/?private=no").content.decode()
    assert "open room" in public and "secret room" not in public

    change = admin_client.get(f"/admin/channels_app/channel/{secret.pk}/change/").content.decode()
    assert "Is private" in change and "hunter22" not in change and "password_hash" not in change
