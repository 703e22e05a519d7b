"""Display names become unique whatever their case.

Existing clashes are settled first: in each group of names equal but for case, the earliest
account (lowest id) keeps its name and each later one gets the first free `<name>-<n>`
(n = 2, 3, ...), so the result is the same on every run and every database.
"""

from itertools import count

from django.db import migrations, models
from django.db.models import Count, Value
from django.db.models.functions import Lower

MAX_LENGTH = 150


def _taken(User, name: str) -> bool:
    return User.objects.alias(name_ci=Lower("username")).filter(name_ci=Lower(Value(name))).exists()


def _free_name(User, name: str) -> str:
    for n in count(2):
        suffix = f"-{n}"
        candidate = name[: MAX_LENGTH - len(suffix)] + suffix
        if not _taken(User, candidate):
            return candidate


def settle_clashes(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    by_name = User.objects.annotate(name_ci=Lower("username"))
    clashing = by_name.values("name_ci").annotate(accounts=Count("pk")).filter(accounts__gt=1).values_list("name_ci", flat=True)
    for name_ci in sorted(clashing):
        for user in list(by_name.filter(name_ci=name_ci).order_by("pk"))[1:]:
            user.username = _free_name(User, user.username)
            user.save(update_fields=["username"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(settle_clashes, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_ci_unique",
                violation_error_message="This display name is taken.",
            ),
        ),
    ]
