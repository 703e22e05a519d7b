"""One id per HTTP request and per WebSocket connection, carried into every log line.

The ASGI middleware sets a context variable at the start of each connection; the server runs
every connection in its own task, and asgiref copies the context into the threads of sync
views, so every record logged on behalf of that request or socket carries its id. A
well-formed X-Request-ID from the load balancer is kept, so one id follows a request
through nginx and the node; the id goes back in the X-Request-ID response header.
"""

import contextvars
import logging
import re
import time
import uuid

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

_VALID_INCOMING = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_logger = logging.getLogger("access")


def _incoming_id(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _VALID_INCOMING.match(candidate) else None
    return None


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (the handler's filter, so third-party loggers get it too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


class RequestIdMiddleware:
    """ASGI middleware: sets the id, echoes it on HTTP responses, logs one access line per request or socket."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.inner(scope, receive, send)
        rid = _incoming_id(scope) or uuid.uuid4().hex
        request_id.set(rid)
        started = time.perf_counter()
        if scope["type"] == "websocket":
            try:
                return await self.inner(scope, receive, send)
            finally:
                seconds = round(time.perf_counter() - started, 3)
                access_logger.info(
                    "WS %s closed after %s s",
                    scope.get("path"),
                    seconds,
                    extra={"path": scope.get("path"), "seconds": seconds},
                )
        status = {"code": 500}

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            return await self.inner(scope, receive, send_with_id)
        finally:
            # The path only: query strings may carry secrets some client put there.
            access_logger.info(
                "%s %s %s",
                scope.get("method"),
                scope.get("path"),
                status["code"],
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status["code"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
