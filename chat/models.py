from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


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
    mentions = models.JSONField(default=list)  # ids of the members the body names with @username
    reply_to = models.CharField(max_length=32, blank=True, default="")  # the id of the message it answers
    attachments = models.JSONField(default=list)  # the photos it shows: [{id, kind, width, height, url, thumbnail_url}]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "seq"], name="chat_message_channel_seq_unique"),
            # A client_msg_id is its sender's own: two members may use the same one.
            models.UniqueConstraint(
                fields=["channel", "sender", "client_msg_id"], name="chat_message_channel_sender_client_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}#{self.seq}"


class SeqReservation(models.Model):
    """How far a channel's Redis seq counter may go: reserved here in blocks before it is handed out.

    If Redis loses its data, the counter starts again at this ceiling, so a seq number may be
    skipped but is never given to two messages (chat/realtime/sequence.py).
    """

    channel = models.OneToOneField("channels_app.Channel", primary_key=True, on_delete=models.CASCADE, related_name="+")
    reserved = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.channel_id} up to {self.reserved}"


class DeadLetter(models.Model):
    """An acknowledged message the store refused, kept whole so the stream moves on without it."""

    message_id = models.CharField(max_length=64)
    channel_id = models.BigIntegerField()  # not a foreign key: the channel may be what is gone
    seq = models.BigIntegerField()
    payload = models.TextField(help_text="The message as acknowledged, JSON with non-ASCII escaped.")
    error = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message_id"], name="chat_deadletter_message_unique")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.channel_id}#{self.seq}"


class ChannelVersion(models.Model):
    """A channel's change counter: each edit, deletion or reaction takes the next version, so a
    client that resumes gets every change it missed (chat/changes.py)."""

    channel = models.OneToOneField("channels_app.Channel", primary_key=True, on_delete=models.CASCADE, related_name="+")
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.channel_id} at version {self.version}"


class MessageState(models.Model):
    """What became of a message after it was sent: its last edit, its deletion, its reactions.

    Whichever store holds the message (SQL, MongoDB, or Redis's tail for its first seconds),
    history lays this over it; `version` is the channel's version of the last change.
    """

    message_id = models.CharField(primary_key=True, max_length=32)
    channel = models.ForeignKey("channels_app.Channel", on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField()
    body = models.TextField(blank=True, default="")  # the edited body (when edited_at is set)
    mentions = models.JSONField(null=True, blank=True)  # of the edited body
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted = models.BooleanField(default=False)
    reactions = models.JSONField(default=dict)  # {emoji: count}
    version = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["channel", "seq"], name="chat_state_channel_seq"),
            models.Index(fields=["channel", "version"], name="chat_state_channel_version"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}#{self.seq} v{self.version}"


class Reaction(models.Model):
    """One person's emoji on one message (a toggle: the same again takes it back)."""

    message_id = models.CharField(max_length=32)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message_id", "user", "emoji"], name="chat_reaction_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.emoji} on {self.message_id}"


class OutboxEvent(models.Model):
    """Something a database write announces, written in the write's own transaction (chat/outbox.py):
    a chat post the server writes, a user event or a channel event. The relay publishes it and
    deletes it; until then it waits here, however long Redis is away."""

    class Kind(models.TextChoices):
        POST = "post"
        USER_EVENT = "user"
        CHANNEL_EVENT = "channel"
        ROOM_PAYLOAD = "room"  # a payload for a room's topic (a change, a leave, read receipts)
        FEED_PAYLOAD = "feed"  # a payload for a user's feed

    kind = models.CharField(max_length=8, choices=Kind.choices)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class EventCounter(models.Model):
    """The last position given in one event stream ("channel:<id>" or "user:<id>"); only the outbox
    relay numbers events, one at a time (chat/outbox.py), so nobody waits on this row."""

    stream = models.CharField(max_length=40, primary_key=True)
    position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.stream} at {self.position}"


class KeptEvent(models.Model):
    """An event of a channel or a user, kept with its position in that stream, so a node whose
    Redis subscription broke delivers what it missed from here (chat/realtime/hub.py), as Centrifuge
    recovers publications from a channel's history. Kept for CHAT_EVENT_HISTORY_SECONDS."""

    stream = models.CharField(max_length=40)
    position = models.BigIntegerField()
    frame = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stream", "position"], name="kept_event_position")]

    def __str__(self) -> str:
        return f"{self.stream} #{self.position}"

    @staticmethod
    def channel_stream(channel_id: int) -> str:
        return f"channel:{channel_id}"

    @staticmethod
    def user_stream(user_id: int) -> str:
        return f"user:{user_id}"


class Poll(models.Model):
    """A question to the channel (투표), posted in the chat as a card (client_msg_id "sys:poll:<id>")."""

    channel = models.ForeignKey("channels_app.Channel", on_delete=models.CASCADE, related_name="polls")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    question = models.CharField(max_length=300)
    multiple = models.BooleanField(default=False)
    closes_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["closes_at"], condition=models.Q(closed_at__isnull=True), name="chat_poll_open_closes_at"
            )
        ]

    def __str__(self) -> str:
        return self.question

    @property
    def is_closed(self) -> bool:
        """Closed by a person, or its closing time came (beat's tick only records that it did)."""
        return self.closed_at is not None or (self.closes_at is not None and self.closes_at <= timezone.now())


class PollOption(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=100)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["poll", "position"], name="chat_polloption_position_unique")]

    def __str__(self) -> str:
        return self.text


class PollVote(models.Model):
    """One member's choice of one option; a vote of several options is several rows."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    option = models.ForeignKey(PollOption, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["option", "user"], name="chat_pollvote_unique")]
        indexes = [models.Index(fields=["poll", "user"], name="chat_pollvote_poll_user")]

    def __str__(self) -> str:
        return f"{self.user_id} for {self.option_id}"


class Attachment(models.Model):
    """A photo uploaded to a channel: the image without its metadata, and a thumbnail made in the
    background (chat/attachments.py). Files live in Django's default storage."""

    channel = models.ForeignKey("channels_app.Channel", on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, default="image")
    file = models.CharField(max_length=200)  # its name in the storage
    content_type = models.CharField(max_length=50)
    thumbnail = models.CharField(max_length=200, blank=True, default="")  # "" until the task made it
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()  # bytes of the stored image
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.file
