"""Account reads."""

from django.contrib.auth import get_user_model
from django.db.models import Value
from django.db.models.functions import Lower


def users_active_by_id(*, user_ids: list[int]) -> dict:
    """The active users among these ids, by id, in one query (WebSocket handshakes come in bursts)."""
    return {user.pk: user for user in get_user_model().objects.filter(pk__in=set(user_ids), is_active=True)}


def user_display_name_taken(*, username: str) -> bool:
    """Whether someone has this display name in any case (compared by the database's lower(), as its index does)."""
    return get_user_model().objects.alias(name_ci=Lower("username")).filter(name_ci=Lower(Value(username))).exists()
