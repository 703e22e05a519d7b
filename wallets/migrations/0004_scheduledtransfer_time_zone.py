"""Scheduled transfers repeat on their scheduler's calendar: each keeps the time zone it was made in."""

from django.conf import settings
from django.db import migrations, models


def zone_of_the_scheduler(apps, schema_editor):
    ScheduledTransfer = apps.get_model("wallets", "ScheduledTransfer")
    for schedule in ScheduledTransfer.objects.select_related("created_by").only("created_by__time_zone"):
        schedule.time_zone = schedule.created_by.time_zone or settings.DEFAULT_USER_TIME_ZONE
        schedule.save(update_fields=["time_zone"])


class Migration(migrations.Migration):
    dependencies = [("wallets", "0003_leavers_leave_group_wallets"), ("accounts", "0003_user_language_user_time_zone")]

    operations = [
        migrations.AddField(
            model_name="scheduledtransfer",
            name="time_zone",
            field=models.CharField(max_length=64, default="UTC"),
            preserve_default=False,
        ),
        migrations.RunPython(zone_of_the_scheduler, migrations.RunPython.noop),
    ]
