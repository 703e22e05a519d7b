"""The invite link /join/<id>: signed out, a sign-in page that names the channel; signed in, the join page."""

import pytest

from accounts.tests.factories import UserFactory
from channels_app.services import channel_create

pytestmark = pytest.mark.django_db


def test_signed_out_the_invite_asks_to_sign_in_and_names_the_channel(client):
    channel = channel_create(owner=UserFactory(), name="등산모임")
    page = client.get(f"/join/{channel.pk}", HTTP_ACCEPT_LANGUAGE="ko")
    assert page.status_code == 200
    text = page.content.decode()
    assert "#등산모임에 참여하려면 로그인하세요." in text
    assert f'name="next" value="/join/{channel.pk}"' in text


def test_an_unknown_channel_gets_the_plain_sign_in_page(client):
    page = client.get("/join/999999")
    assert page.status_code == 200
    assert "Sign in to join" not in page.content.decode()


def test_signed_in_the_invite_opens_the_join_page(client):
    channel = channel_create(owner=UserFactory(), name="hiking")
    client.force_login(UserFactory())
    assert client.get(f"/join/{channel.pk}").url == f"/#/join/{channel.pk}"
