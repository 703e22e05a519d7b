"""Log formatting: plain text or one JSON object per line (LOG_FORMAT=json), secrets scrubbed.

Both formatters pass the finished text through `redact`, so a password, PIN, JWT or
Authorization header that reaches a log call, an exception message or a traceback
never reaches the log.
"""

import json
import logging
import os
import re
import socket
from datetime import UTC, datetime

REDACTED = "[redacted]"
_SECRET_NAME = (
    r"(?:\w+_)?(?:password|passwd|pin|token|secret|authorization|access|refresh|sessionid|csrftoken)(?:_\w+)?"
)
_PATTERNS = [
    # JSON Web Tokens (header.payload.signature, the header always starts with eyJ).
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s'\",]+"), rf"\1 {REDACTED}"),
    # name=value, name: value, "name": "value", 'name': 'value' for secret-looking names.
    (
        re.compile(rf"(?i)([\"']?\b{_SECRET_NAME}[\"']?\s*[:=]\s*[\"']?)([^\"'\s,&;)}}\]]+)"),
        rf"\1{REDACTED}",
    ),
]
# LogRecord attributes that are not "extra" fields.
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}
_NODE = os.environ.get("NODE_NAME") or socket.gethostname()


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request_id, node, pid, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", "-"),
            "node": _NODE,
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = (
                    value
                    if isinstance(value, int | float | bool | type(None))
                    else redact(f"{key}={value}")[len(key) + 1 :]
                )
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        # Fields are scrubbed one by one: inside the JSON text quotes are escaped and patterns would miss them.
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(*, log_format: str, level: str, tasks_in_process: bool = False) -> dict:
    """The LOGGING setting: every record goes to stderr through one handler.

    With the background work in the web process (the embedded mode) a periodic task's every
    success would fill the terminal a user started the product from: only its failures show."""
    formatter = (
        {"()": JsonFormatter}
        if log_format == "json"
        else {
            "()": PlainFormatter,
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        }
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "core.web.request_id.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "default", "filters": ["request_id"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # Beat sends the persistence tick twice a second: a line for each would bury the rest.
            "celery.beat": {"level": "WARNING"},
            **({"celery.app.trace": {"level": "WARNING"}} if tasks_in_process else {}),
        },
    }
