"""Account writes: every entry point (API, browser pages, admin commands) signs up here."""

from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from config.errors import DomainError


def _normalized_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


@transaction.atomic
def user_signup(*, email: str, username: str, password: str) -> User:
    """Create an account; raises DomainError with per-field messages on bad input."""
    email = _normalized_email(email)
    username = username.strip()
    fields: dict[str, list[str]] = {}
    if User.objects.filter(email__iexact=email).exists():
        fields["email"] = [_("An account with this email already exists.")]
    if not username:
        fields["username"] = [_("Choose a name other people will see.")]
    try:
        password_validation.validate_password(password, User(email=email, username=username))
    except DjangoValidationError as error:
        fields["password"] = list(error.messages)
    if fields:
        raise DomainError(" ".join(message for messages in fields.values() for message in messages), fields=fields)
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, username=username, password=password)
    except IntegrityError:
        # Two sign-ups with one email raced past the check above.
        message = _("An account with this email already exists.")
        raise DomainError(message, fields={"email": [message]}) from None


def user_preferences_update(*, user: User, language: str | None = None, time_zone: str | None = None) -> User:
    """The user's language and time zone; an empty string means "follow the browser"."""
    fields: dict[str, list[str]] = {}
    if language is not None and language not in {"", *(code for code, _name in settings.LANGUAGES)}:
        fields["language"] = [_("Choose English or Korean.")]
    if time_zone is not None and time_zone not in {"", *available_timezones()}:
        fields["time_zone"] = [_("Choose a time zone such as Asia/Seoul.")]
    if fields:
        raise DomainError(" ".join(message for messages in fields.values() for message in messages), fields=fields)
    changed = [name for name, value in (("language", language), ("time_zone", time_zone)) if value is not None]
    for name in changed:
        setattr(user, name, language if name == "language" else time_zone)
    user.save(update_fields=changed)
    return user
