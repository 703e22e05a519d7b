"""Account writes: every entry point (API, browser pages, admin commands) signs up here."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.selectors import user_display_name_taken
from config.errors import DomainError

EMAIL_TAKEN = "An account with this email already exists."
NAME_TAKEN = "This display name is taken."


def _normalized_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


@transaction.atomic
def user_signup(*, email: str, username: str, password: str) -> User:
    """Create an account; raises DomainError with per-field messages on bad input."""
    email = _normalized_email(email)
    username = username.strip()
    fields: dict[str, list[str]] = {}
    if User.objects.filter(email__iexact=email).exists():
        fields["email"] = [EMAIL_TAKEN]
    if not username:
        fields["username"] = ["Choose a name other people will see."]
    elif user_display_name_taken(username=username):
        fields["username"] = [NAME_TAKEN]
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
            raise DomainError(NAME_TAKEN, fields={"username": [NAME_TAKEN]}) from None
        raise DomainError(EMAIL_TAKEN, fields={"email": [EMAIL_TAKEN]}) from None
