"""WebSocket URL routes; the chat consumer registers /ws/ here."""

websocket_urlpatterns: list = []
