"""Account reads."""

from django.contrib.auth import get_user_model


def users_active_by_id(*, user_ids: list[int]) -> dict:
    """The active users among these ids, by id, in one query (WebSocket handshakes come in bursts)."""
    return {user.pk: user for user in get_user_model().objects.filter(pk__in=set(user_ids), is_active=True)}
