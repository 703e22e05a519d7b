"""Chat metrics on /metrics."""

from prometheus_client import Counter, Gauge, Histogram

connections_open = Gauge(
    "chat_connections_open", "Open WebSocket connections in this process", multiprocess_mode="livesum"
)
messages_in = Counter("chat_messages_in_total", "Chat messages accepted from clients (WebSocket and REST)")
frames_out = Counter("chat_frames_out_total", "Frames written to local WebSocket connections")
delivery_latency = Histogram(
    "chat_delivery_latency_seconds",
    "From a message's publish to its hand-off to local sockets",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
client_errors = Counter("chat_client_errors_total", "Error frames sent to clients", ["code"])
messages_persisted = Counter("chat_messages_persisted_total", "Messages written to the message store by workers")
persist_backlog = Gauge(
    "chat_persist_backlog", "Messages buffered in Redis and not yet in the message store", multiprocess_mode="max"
)
