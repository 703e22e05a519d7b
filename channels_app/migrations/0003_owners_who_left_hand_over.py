"""Channels whose owner left while others stayed (leaving was allowed then) go to the member who
has been in the channel longest. Empty channels keep their owner: the next to join owns them."""

from django.db import migrations
from django.db.models import Exists, OuterRef


def hand_over_channels_whose_owner_left(apps, schema_editor):
    Channel = apps.get_model("channels_app", "Channel")
    Membership = apps.get_model("channels_app", "Membership")
    owner_stayed = Membership.objects.filter(channel=OuterRef("pk"), user=OuterRef("owner"))
    for channel in Channel.objects.exclude(Exists(owner_stayed)).order_by("pk").iterator():
        eldest = Membership.objects.filter(channel=channel).order_by("joined_at", "pk").first()
        if eldest is not None:
            Channel.objects.filter(pk=channel.pk).update(owner_id=eldest.user_id)


class Migration(migrations.Migration):
    dependencies = [("channels_app", "0002_channel_password_attempts")]

    operations = [migrations.RunPython(hand_over_channels_whose_owner_left, migrations.RunPython.noop)]
