"""Display names are unique whatever their case (docs/api.md "Additions (v2)": Display names)."""

import pytest
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory


def _signup(api_client, email: str, username: str):
    body = {"email": email, "username": username, "password": DEFAULT_PASSWORD}
    return api_client.post("/api/auth/signup", body, format="json")


@pytest.mark.django_db
@pytest.mark.parametrize("taken", ["Alice", "ALICE", "alice", " alice "])
def test_signup_refuses_a_display_name_taken_in_any_case(api_client, taken):
    assert _signup(api_client, "first@example.com", "alice").status_code == 201
    response = _signup(api_client, "second@example.com", taken)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"] == {"username": ["This display name is taken."]}
    assert not User.objects.filter(email="second@example.com").exists()


@pytest.mark.django_db
def test_the_signup_page_says_the_name_is_taken(client):
    UserFactory(username="Alice")
    body = {"email": "second@example.com", "username": "alice", "password": DEFAULT_PASSWORD}
    response = client.post("/accounts/signup/", body)
    assert response.status_code == 400
    assert "This display name is taken." in response.content.decode()


@pytest.mark.django_db
def test_the_database_refuses_a_case_variant_of_a_name():
    UserFactory(username="alice")
    with pytest.raises(IntegrityError):
        UserFactory(username="ALICE")


@pytest.mark.django_db
def test_the_admin_form_refuses_a_case_variant_of_a_name():
    from accounts.forms import UserAdminCreationForm

    UserFactory(username="alice")
    form = UserAdminCreationForm(
        {"email": "x@example.com", "username": "Alice", "password1": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD}
    )
    assert not form.is_valid()
    assert list(form.errors) == ["username"]


@pytest.mark.django_db(transaction=True)
def test_the_migration_renames_later_accounts_whose_names_clash():
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0001_initial")])
    old_user = executor.loader.project_state([("accounts", "0001_initial")]).apps.get_model("accounts", "User")
    names = ["alice", "Alice", "bob", "ALICE", "alice-2", "Bob", "carol"]
    ids = [old_user.objects.create(email=f"{i}@example.com", username=name).pk for i, name in enumerate(names)]

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    after = dict(User.objects.filter(pk__in=ids).values_list("pk", "username"))
    # The earliest account keeps its name; later ones get the first free "-n" (alice-2 was taken).
    assert [after[pk] for pk in ids] == ["alice", "Alice-3", "bob", "ALICE-4", "alice-2", "Bob-2", "carol"]
