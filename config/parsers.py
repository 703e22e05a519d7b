"""A JSON parser that refuses oversized bodies before reading them into memory."""

from django.conf import settings
from rest_framework.parsers import JSONParser

from config.errors import PayloadTooLarge


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
                raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        return super().parse(stream, media_type, parser_context)
