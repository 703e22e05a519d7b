"""daphne bench.tutorial.asgi:application (DJANGO_SETTINGS_MODULE=bench.tutorial.settings)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.tutorial.settings")

import django  # noqa: E402

django.setup()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from bench.tutorial.consumers import ChatConsumer  # noqa: E402

application = ProtocolTypeRouter({"websocket": URLRouter([re_path(r"^ws/$", ChatConsumer.as_asgi())])})
