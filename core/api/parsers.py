"""A JSON parser that refuses oversized bodies before reading them into memory, and bodies no
endpoint could mean (deeply nested) before any code walks them."""

import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from core.api.errors import PayloadTooLarge

# No request body of this API nests beyond a few levels; deeper ones would only reach Python's
# recursion limit somewhere further in (a 2 KB body of 1,000 brackets did).
MAX_DEPTH = 32


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request is not None:
            length = request.META.get("CONTENT_LENGTH") or 0
            try:
                too_large = int(length) > limit
            except ValueError:
                too_large = False
            if too_large:
                raise PayloadTooLarge(_("The request body is larger than %(limit)d bytes.") % {"limit": limit})
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_too_deep()) from None
        except ParseError as error:
            raise ParseError(_not_json(error.__context__)) from None
        if _depth_exceeds(data, MAX_DEPTH):
            raise ParseError(_too_deep())
        return data


def _too_deep() -> str:
    return _("The JSON body nests deeper than %(depth)d levels.") % {"depth": MAX_DEPTH}


def _not_json(cause: BaseException | None) -> str:
    """DRF's message is English only; this one says where, in the reader's language."""
    if isinstance(cause, json.JSONDecodeError):
        return _("The body is not valid JSON (line %(line)d, column %(column)d).") % {
            "line": cause.lineno,
            "column": cause.colno,
        }
    if isinstance(cause, UnicodeDecodeError):
        return _("The body is not valid UTF-8.")
    return _("The body is not valid JSON.")


def _depth_exceeds(data, limit: int) -> bool:
    """Walks without recursion, so the check itself cannot hit the recursion limit."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        pending.extend((item, depth + 1) for item in value)
    return False
