"""Account writes: every entry point (API, browser pages, admin commands) signs up here."""

from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.selectors import user_display_name_taken
from core.api.errors import DomainError

EMAIL_TAKEN = gettext_lazy("An account with this email already exists.")
NAME_TAKEN = gettext_lazy("This display name is taken.")


def _normalized_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


@transaction.atomic
def user_signup(*, email: str, username: str, password: str) -> User:
    """Create an account; raises DomainError with per-field messages on bad input."""
    email = _normalized_email(email)
    username = username.strip()
    fields: dict[str, list[str]] = {}
    if User.objects.filter(email__iexact=email).exists():
        fields["email"] = [str(EMAIL_TAKEN)]
    if not username:
        fields["username"] = [_("Choose a name other people will see.")]
    elif user_display_name_taken(username=username):
        fields["username"] = [str(NAME_TAKEN)]
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
        # Two sign-ups with one email or one display name raced past the checks above.
        if user_display_name_taken(username=username):
            raise DomainError(NAME_TAKEN, fields={"username": [str(NAME_TAKEN)]}) from None
        raise DomainError(EMAIL_TAKEN, fields={"email": [str(EMAIL_TAKEN)]}) from None


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
