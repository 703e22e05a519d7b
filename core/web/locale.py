"""The language of a request: the signed-in user's setting, else Accept-Language (docs/api.md "Language").

Django's LocaleMiddleware reads Accept-Language (and the language cookie). A user who chose a
language gets it instead: browser sessions here, after the session middleware has found the user;
JWT clients in JWTAuthentication below, because DRF authenticates a token inside the view, after
every middleware has run, and validation messages are translated when they are raised.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication

from core.api.bearer import bearer_token


def activate_user_language(user) -> None:
    if user.language:
        translation.activate(user.language)


class UserLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        super().process_request(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            activate_user_language(user)
            request.LANGUAGE_CODE = translation.get_language()


class JWTAuthentication(SimpleJWTAuthentication):
    def get_raw_token(self, header: bytes) -> bytes | None:
        # simplejwt compares the scheme's bytes exactly; the product has one rule (core.api.bearer).
        token = bearer_token(header)
        return None if token is None else token.encode("latin-1")

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            activate_user_language(result[0])
        return result


def user_language(user) -> str:
    """What the server writes in for a user outside their own request (chat posts in their name, the
    reason a scheduled run failed): their setting, else the language active now (their request's,
    or LANGUAGE_CODE in background work)."""
    return user.language or translation.get_language() or settings.LANGUAGE_CODE


def user_time_zone(user) -> str:
    """The time zone the server dates things in for a user (the end of a due date)."""
    return user.time_zone or settings.DEFAULT_USER_TIME_ZONE


class JWTAuthenticationScheme(SimpleJWTScheme):
    """The OpenAPI document's bearer scheme for the subclass above (drf-spectacular matches the exact class)."""

    target_class = "core.web.locale.JWTAuthentication"
