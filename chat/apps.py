from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from channels_app import signals
        from chat import announcements

        # Membership changes reach the live clients (channels_app/signals.py says why this way).
        signals.member_joined.connect(announcements.on_member_joined, dispatch_uid="chat.member_joined")
        signals.member_left.connect(announcements.on_member_left, dispatch_uid="chat.member_left")
        signals.marker_moved.connect(announcements.on_marker_moved, dispatch_uid="chat.marker_moved")
        signals.channel_changed.connect(announcements.on_channel_changed, dispatch_uid="chat.channel_changed")
