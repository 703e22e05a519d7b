from django.contrib import admin, messages

from chat import services
from chat.models import DeadLetter, Message, SeqReservation


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("channel", "seq", "sender_username", "created_at")
    list_filter = ("channel",)
    search_fields = ("body", "sender_username", "client_msg_id")
    ordering = ("channel", "-seq")
    readonly_fields = ("id", "channel", "seq", "sender", "sender_username", "client_msg_id", "created_at")


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
