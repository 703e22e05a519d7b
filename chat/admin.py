from django.contrib import admin, messages

from chat import changes, services
from chat.models import DeadLetter, Message, MessageState, SeqReservation


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The SQL store's messages. Read only: a row changed or deleted here would reach no client
    and leave a gap in the channel's seqs; moderation goes through the same deletion as the
    sender's, live to every subscriber and to clients that resume."""

    list_display = ("channel", "seq", "sender_username", "created_at")
    list_filter = ("channel",)
    search_fields = ("body", "sender_username", "client_msg_id")
    ordering = ("channel", "-seq")
    readonly_fields = ("id", "channel", "seq", "sender", "sender_username", "body", "client_msg_id", "created_at")
    actions = ["delete_for_everyone"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Delete the selected messages for everyone (as their sender could)")
    def delete_for_everyone(self, request, queryset):
        deleted = sum(
            changes.message_delete_by_moderator(channel_id=message.channel_id, message_id=message.id)
            for message in queryset
        )
        self.message_user(request, f"{deleted} deleted for everyone.", messages.SUCCESS)


@admin.register(MessageState)
class MessageStateAdmin(admin.ModelAdmin):
    """What became of messages after they were sent (edits, deletions, reactions); read only."""

    list_display = ("channel", "seq", "edited_at", "deleted", "version")
    list_filter = ("deleted",)
    search_fields = ("message_id",)
    ordering = ("channel", "-seq")
    readonly_fields = (
        "message_id",
        "channel",
        "seq",
        "body",
        "mentions",
        "edited_at",
        "deleted",
        "reactions",
        "version",
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    """Acknowledged messages the store refused; fix the cause, then store them again."""

    list_display = ("channel_id", "seq", "message_id", "created_at", "error")
    search_fields = ("message_id", "error")
    readonly_fields = ("message_id", "channel_id", "seq", "payload", "error", "created_at")
    actions = ["store_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Store the selected messages again")
    def store_again(self, request, queryset):
        stored, refused = services.dead_letters_store_again(dead_letters=queryset)
        level = messages.WARNING if refused else messages.SUCCESS
        self.message_user(request, f"{stored} stored, {refused} refused again.", level)


@admin.register(SeqReservation)
class SeqReservationAdmin(admin.ModelAdmin):
    list_display = ("channel", "reserved")
    readonly_fields = ("channel", "reserved")

    def has_add_permission(self, request):
        return False
