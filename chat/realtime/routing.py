"""WebSocket URL routes."""

from django.urls import path

from chat.realtime.consumer import ChatConsumer

websocket_urlpatterns = [path("ws/", ChatConsumer.as_asgi())]
