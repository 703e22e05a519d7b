from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, username: str, password: str | None, **extra):
        email = self.normalize_email(email).lower()
        user = self.model(email=email, username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, username: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, username, password, **extra)

    def create_superuser(self, email: str, username: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Email is the login; username is the name other people see."""

    email = models.EmailField(max_length=254, unique=True)
    # Called "display name" wherever a person sees it: sign-up, the admin, createsuperuser.
    username = models.CharField(_("display name"), max_length=150)
    # Blank: follow the browser (Accept-Language for the language, the browser's clock for times).
    language = models.CharField(max_length=8, blank=True, default="", choices=settings.LANGUAGES)
    time_zone = models.CharField(max_length=64, blank=True, default="")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            # Display names are unique whatever their case: in a money app "Alice" must not pass for "alice".
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_ci_unique",
                violation_error_message="This display name is taken.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} <{self.email}>"
