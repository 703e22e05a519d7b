"""hypercorn's settings for the bench's product-hypercorn node (hypercorn -c python:bench.hypercorn_config)."""

from chat.realtime.protocol import MAX_MESSAGE_BYTES

websocket_max_message_size = MAX_MESSAGE_BYTES
accesslog = None
