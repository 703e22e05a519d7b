from django.conf import settings
from django.db import models


class Message(models.Model):
    """A chat message in the SQL store. The id is the string id the sender was acked with."""

    id = models.CharField(primary_key=True, max_length=32)
    channel = models.ForeignKey("channels_app.Channel", on_delete=models.CASCADE, related_name="messages")
    seq = models.BigIntegerField()
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sender_username = models.CharField(max_length=150)
    body = models.TextField()
    client_msg_id = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "seq"], name="chat_message_channel_seq_unique"),
            models.UniqueConstraint(fields=["channel", "client_msg_id"], name="chat_message_channel_client_id_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}#{self.seq}"
