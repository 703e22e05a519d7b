"""ASGI entry point: chat.realtime.server (production) and daphne (development) serve it, HTTP and WebSocket."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from chat.metrics import register_web_collectors as register_chat_collectors  # noqa: E402
from chat.realtime.auth import WebSocketAuthMiddleware, origin_checked  # noqa: E402
from chat.realtime.routing import websocket_urlpatterns  # noqa: E402
from core.node.metrics import register_web_collectors  # noqa: E402
from core.web.request_id import RequestIdMiddleware  # noqa: E402

register_web_collectors()
register_chat_collectors()

if settings.BACKGROUND_IN_PROCESS:  # the embedded mode: no worker, this process runs the schedule
    from config.celery import start_in_process_beat

    start_in_process_beat()

application = RequestIdMiddleware(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": origin_checked(WebSocketAuthMiddleware(URLRouter(websocket_urlpatterns))),
        }
    )
)
