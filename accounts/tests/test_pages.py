"""Browser sign-up, sign-in and sign-out pages with the session."""

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_signup_page_signs_the_user_in(client):
    response = client.post(
        "/accounts/signup/", {"email": "c@example.com", "username": "cat", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert "Signed in as cat" in client.get("/").content.decode()


def test_signup_page_shows_error_next_to_the_field(client):
    UserFactory(email="c@example.com")
    response = client.post(
        "/accounts/signup/", {"email": "c@example.com", "username": "cat", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 400
    assert 'data-field="email"' in response.content.decode()
    assert "already exists" in response.content.decode()


def test_signin_wrong_password_shows_error_and_right_one_signs_in(client):
    user = UserFactory()
    wrong = client.post("/accounts/signin/", {"email": user.email, "password": "nope-nope-1"})
    assert wrong.status_code == 400
    assert "not right" in wrong.content.decode()
    right = client.post("/accounts/signin/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert right.status_code == 302
    assert client.get("/").status_code == 200


def test_signout_ends_the_session(client):
    user = UserFactory()
    client.force_login(user)
    client.post("/accounts/signout/")
    assert client.get("/").status_code == 302


def test_home_requires_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/signin/")
