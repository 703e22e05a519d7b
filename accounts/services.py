"""Account writes: every entry point (API, browser pages, admin commands) signs up here."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

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
        fields["email"] = ["An account with this email already exists."]
    if not username:
        fields["username"] = ["Choose a name other people will see."]
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
        raise DomainError(
            "An account with this email already exists.",
            fields={"email": ["An account with this email already exists."]},
        ) from None
