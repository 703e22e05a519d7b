"""One error shape for the whole API: {"code": "<machine_code>", "detail": "<text>"}.

Services raise DomainError (or a subclass); DRF raises its own exceptions. The handler
below turns both into the contract's body and status, so views never build errors.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from redis.exceptions import RedisError
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger(__name__)

# A write that needs Redis first (a chat message needs its seq; a throttle counts there) refuses
# before it changes anything; what other writes announce waits in the outbox (chat/outbox.py), so
# no Redis error can come after a commit.
UNAVAILABLE_RETRY_AFTER_SECONDS = 5


class DomainError(Exception):
    """A rule of the product was broken; carries the contract's code and status."""

    code = "invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = gettext_lazy("The request is not valid.")

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        status_code: int | None = None,
        fields: dict | None = None,
    ):
        # Translated now, in the language of the request (or of the task) that broke the rule.
        self.detail = str(detail or self.default_detail)
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.fields = fields
        super().__init__(self.detail)


class Forbidden(DomainError):
    code = "forbidden"
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = gettext_lazy("You are not allowed to do this.")


class NotFound(DomainError):
    code = "not_found"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = gettext_lazy("Not found.")


class Conflict(DomainError):
    code = "conflict"
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with the current state.")


class RateLimited(DomainError):
    code = "rate_limited"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = gettext_lazy("Too many requests. Wait a moment and try again.")


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "too_large"


# DRF exception class -> contract code. Order matters: subclasses first.
_DRF_CODES: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "not_authenticated"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not_found"),
    (exceptions.Throttled, "rate_limited"),
    (exceptions.ParseError, "invalid"),
    (exceptions.ValidationError, "invalid"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (PayloadTooLarge, "too_large"),
]


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    body = {"code": code, "detail": detail}
    if fields:
        body["fields"] = fields
    return body


def _flatten_detail(detail) -> str:
    if isinstance(detail, dict) and "detail" in detail:
        return _flatten_detail(detail["detail"])  # simplejwt's {"detail", "code", "messages"}: its sentence
    if isinstance(detail, list):
        return " ".join(_flatten_detail(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(f"{key}: {_flatten_detail(value)}" for key, value in detail.items())
    return str(detail)


def _messages(detail) -> list[str]:
    """A field's errors as the contract's list of texts; an item's or a nested field's are named
    by their place ("0: ...", "amount: ...")."""
    if isinstance(detail, dict):
        return [f"{key}: {message}" for key, value in detail.items() for message in _messages(value)]
    if isinstance(detail, list):
        return [message for item in detail for message in _messages(item)]
    return [str(detail)]


def _validation_body(exc: exceptions.ValidationError) -> dict:
    detail = exc.detail
    if isinstance(detail, dict):
        non_field = detail.get("non_field_errors")
        fields = {key: _messages(value) for key, value in detail.items() if key != "non_field_errors"}
        text = (
            _flatten_detail(non_field)
            if non_field
            else _("Some fields are not valid: %(fields)s.") % {"fields": ", ".join(fields)}
        )
        return error_body("invalid", text, fields or None)
    return error_body("invalid", _flatten_detail(detail))


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.detail, exc.fields), status=exc.status_code)
    if isinstance(exc, RedisError):
        logger.warning("Redis unavailable in %s: %s", context.get("view").__class__.__name__, exc)
        response = Response(
            error_body("unavailable", _("The service is briefly unavailable; nothing was changed. Try again shortly.")),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    # Imported here: rest_framework.views loads the parser settings, which import this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        # An unexpected error: log it with its traceback, answer in the contract's shape.
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        return Response(error_body("server_error", _("Something went wrong on our side.")), status=500)

    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc)
        return response
    code = next((code for cls, code in _DRF_CODES if isinstance(exc, cls)), "error")
    response.data = error_body(code, _flatten_detail(exc.detail))
    return response


def _is_api_request(request) -> bool:
    return request.path.startswith("/api/")


def json_bad_request(request, exception=None):
    """A request Django refuses before any view (a Host it does not serve): in the contract's shape under /api/."""
    if _is_api_request(request):
        # Refused before the locale middleware chose a language: the request's own, as it would.
        with translation.override(translation.get_language_from_request(request)):
            return JsonResponse(error_body("invalid", _("The request is not valid.")), status=400)
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def json_not_found(request, exception=None):
    """Unknown URLs under /api/ answer in the contract's shape, not an HTML page."""
    if _is_api_request(request):
        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def json_server_error(request):
    if _is_api_request(request):
        return JsonResponse(error_body("server_error", _("Something went wrong on our side.")), status=500)
    from django.views.defaults import server_error

    return server_error(request)
