from django.contrib import admin

from chat.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("channel", "seq", "sender_username", "created_at")
    list_filter = ("channel",)
    search_fields = ("body", "sender_username", "client_msg_id")
    ordering = ("channel", "-seq")
    readonly_fields = ("id", "channel", "seq", "sender", "sender_username", "client_msg_id", "created_at")
