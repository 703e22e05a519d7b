"""Members who left a channel before leaving it also left its group wallets (wallets.receivers)
kept their wallet membership rows: they were still counted and told of the wallet's money."""

from django.db import migrations
from django.db.models import Exists, OuterRef


def forget_leavers(apps, schema_editor):
    GroupWalletMember = apps.get_model("wallets", "GroupWalletMember")
    Membership = apps.get_model("channels_app", "Membership")
    in_channel = Membership.objects.filter(channel_id=OuterRef("wallet__channel_id"), user_id=OuterRef("user_id"))
    GroupWalletMember.objects.exclude(Exists(in_channel)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("wallets", "0002_money_v2"),
        ("channels_app", "0002_channel_password_attempts"),
    ]

    operations = [migrations.RunPython(forget_leavers, migrations.RunPython.noop)]
