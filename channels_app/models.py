from django.conf import settings
from django.db import models


class Channel(models.Model):
    """A chat room. Private when it has a password (stored hashed)."""

    name = models.CharField(max_length=100)
    description = models.CharField(max_length=1000, blank=True, default="")
    password_hash = models.CharField(max_length=256, blank=True, default="")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_channels")
    created_at = models.DateTimeField(auto_now_add=True)
    # The pinned message (공지) as members saw it: {id, seq, sender, body, created_at}; chat keeps it
    # current when that message is edited or deleted (chat/notices.py).
    notice = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_private(self) -> bool:
        return bool(self.password_hash)


class Membership(models.Model):
    """A user in a channel, with their read marker (the last seq they have read)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_memberships")
    last_read_seq = models.BigIntegerField(default=0)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "user"], name="channels_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.channel_id}"


class ChannelPasswordAttempts(models.Model):
    """Wrong passwords a person gave for a private channel (channels_app.passwords); a row only while it matters."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "user"], name="channels_password_attempts_unique")]

    def __str__(self) -> str:
        return f"{self.failures} wrong passwords of {self.user_id} for {self.channel_id}"
