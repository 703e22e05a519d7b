"""Process lifecycle state shared by the health checks and the WebSocket layer."""

import threading

# Set when the node is draining before shutdown: /readyz answers 503 and new sockets are refused.
draining = threading.Event()
