"""Sign-in lockout (django-axes): whose attempts count together, and what a locked-out client sees.

Attempts are counted per (email, client address): the REST token endpoint, the sign-in page
and the admin's login all feed the same count (settings: AXES_*).
"""

from axes.utils import reset
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.api.errors import error_body
from core.web.proxies import request_client_address


def signin_email(request, credentials) -> str | None:
    """The email an attempt was for, as the accounts store it (AXES_USERNAME_CALLABLE)."""
    credentials = credentials or {}
    email = credentials.get("email") or credentials.get("username")
    if email is None:
        data = getattr(request, "data", None) or request.POST  # a DRF request's JSON, or a form
        if hasattr(data, "get"):
            email = data.get("email") or data.get("username")
    return str(email).strip().lower() if email else None


# The API's refusal adds the wait in seconds (DRF's Throttled); the page says it in minutes.
API_LOCKOUT_DETAIL = gettext_lazy("Too many failed sign-ins for this email.")


def locked_out_response(request, original_response=None, credentials=None):
    """What a locked-out sign-in page or admin login answers (AXES_LOCKOUT_CALLABLE)."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    if request.path.startswith("/api/"):
        detail = _("%(detail)s Expected available in %(seconds)d seconds.") % {
            "detail": API_LOCKOUT_DETAIL,
            "seconds": seconds,
        }
        body = error_body("rate_limited", detail)
        return JsonResponse(body, status=429, headers={"Retry-After": str(seconds)})
    minutes = seconds // 60
    detail = ngettext(
        "Too many failed sign-ins. Try again in %(minutes)d minute.",
        "Too many failed sign-ins. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    return render(request, "accounts/locked.html", {"detail": detail}, status=429)


def signin_succeeded(request) -> None:
    """A right password: this email's wrong ones from this address are forgotten (AXES_RESET_ON_SUCCESS)."""
    reset(ip=request_client_address(request), username=signin_email(request, None))
