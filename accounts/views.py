"""Browser pages for signing up, in and out; they use the session, not JWTs."""

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import SignInForm, SignUpForm
from accounts.services import user_signup
from accounts.throttles import SignInThrottle, SignUpThrottle
from core.api.errors import DomainError

TOO_MANY_ATTEMPTS = _("Too many attempts. Wait a minute and try again.")


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


def _throttled(throttle_class, request) -> bool:
    return not throttle_class().allow_request(request, None)


@require_http_methods(["GET", "POST"])
def signup_page(request):
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _throttled(SignUpThrottle, request):
            form.add_error(None, TOO_MANY_ATTEMPTS)
        else:
            try:
                user = user_signup(**form.cleaned_data)
            except DomainError as error:
                for field, messages in (error.fields or {None: [error.detail]}).items():
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect(_safe_next(request))
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/signup.html", {"form": form, "next": _safe_next(request)}, status=status)


@require_http_methods(["GET", "POST"])
def signin_page(request):
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _throttled(SignInThrottle, request):
            form.add_error(None, TOO_MANY_ATTEMPTS)
        else:
            user = authenticate(
                request, email=form.cleaned_data["email"].lower(), password=form.cleaned_data["password"]
            )
            if user is None:
                form.add_error("password", _("The email or password is not right."))
            else:
                login(request, user)
                return redirect(_safe_next(request))
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/signin.html", {"form": form, "next": _safe_next(request)}, status=status)


@require_POST
def signout(request):
    logout(request)
    return redirect("signin")


@login_required
@ensure_csrf_cookie
def home(request):
    """The messenger: a page shell; its script talks to the REST API and /ws/ with this session."""
    user = request.user
    me = {"id": user.pk, "username": user.username, "language": user.language, "time_zone": user.time_zone}
    context = {"me": me, "background_check_seconds": settings.BACKGROUND_STATUS_CHECK_SECONDS}
    return render(request, "messenger.html", context)
