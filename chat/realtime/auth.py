"""WebSocket authentication: the browser session cookie, or a Bearer JWT on the handshake."""

from importlib import import_module

from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator
from channels.sessions import CookieMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import AccessToken

from accounts.selectors import users_active_by_id
from chat.realtime.turn_batch import TurnBatch
from core.api.bearer import bearer_token

_session_store = import_module(settings.SESSION_ENGINE).SessionStore


def _bearer_token(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization" and (token := bearer_token(value)):
            return token
    return None


async def _active_users(user_ids: list) -> list:
    found = await database_sync_to_async(users_active_by_id)(user_ids=user_ids)
    return [found.get(user_id) for user_id in user_ids]


# A node's handshakes of one event-loop turn share one query: after a drain or a restart
# thousands of clients reconnect at once, and a query each queued them for seconds.
_active_user = TurnBatch(_active_users, one_at_a_time=True)


async def user_for_access_token(raw_token: str):
    """The active user a valid access token names, or AnonymousUser."""
    try:
        token = AccessToken(raw_token)  # signature and expiry: no database
    except TokenError:
        return AnonymousUser()
    try:
        user_id = int(token.get(jwt_settings.USER_ID_CLAIM))
    except (TypeError, ValueError):
        return AnonymousUser()
    return await _active_user(user_id) or AnonymousUser()


class UserMiddleware:
    """Sets scope["user"]: a Bearer JWT when the handshake carries one, else the session's user.

    Only a handshake with a session cookie pays for a session lookup (a hop to asgiref's one
    database thread, where a reconnecting crowd's hops queued behind each other).
    """

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        token = _bearer_token(scope)
        session_key = scope["cookies"].get(settings.SESSION_COOKIE_NAME)
        if token is not None:
            user = await user_for_access_token(token)
        elif session_key:
            # The session is only read, once: channels' SessionMiddleware would wrap the socket's
            # send to save it, a coroutine on every frame out (a tenth of a loaded node).
            scope = dict(scope, session=_session_store(session_key))
            user = await get_user(scope)
        else:
            user = AnonymousUser()
        return await self.inner(dict(scope, user=user), receive, send)


class BrowserOriginValidator(OriginValidator):
    """A handshake whose Origin is not an allowed host is refused (403): a page of another site
    must not open a socket with the user's cookies. Browsers always send Origin; programs (the
    load tool, a bot with a Bearer token) send none, and there is no page to protect them from."""

    def valid_origin(self, parsed_origin):
        return parsed_origin is None or super().valid_origin(parsed_origin)


def origin_checked(inner):
    return BrowserOriginValidator(inner, settings.ALLOWED_HOSTS)


def WebSocketAuthMiddleware(inner):  # noqa: N802 - reads like the middleware class it builds
    return CookieMiddleware(UserMiddleware(inner))
