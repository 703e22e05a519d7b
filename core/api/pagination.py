"""The contract's page shape: {"results": [...], "next": <url or null>}."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response

from core.api.fields import ASCII_DIGITS


class ResultsPagination(PageNumberPagination):
    page_size_query_param = "limit"
    max_page_size = 100

    # The document says both are integers: DRF would read `?page=` and `?page=last` as pages and
    # quietly use its default size for `?limit=abc`.
    def get_page_number(self, request, paginator):
        page = request.query_params.get(self.page_query_param)
        if page is not None and not ASCII_DIGITS.match(page):
            raise NotFound(_("Invalid page."))
        return super().get_page_number(request, paginator)

    def get_page_size(self, request):
        limit = request.query_params.get(self.page_size_query_param)
        if limit is not None and not (ASCII_DIGITS.match(limit) and 1 <= int(limit) <= self.max_page_size):
            message = _("A whole number from 1 to %(most)d.") % {"most": self.max_page_size}
            raise ValidationError({self.page_size_query_param: [message]})
        return super().get_page_size(request)

    def get_paginated_response(self, data):
        return Response({"results": data, "next": self.get_next_link()})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "nullable": True, "format": "uri"},
            },
        }


class NewestFirstCursorPagination(CursorPagination):
    """Stable pages over rows that keep arriving (ledger entries, newest first)."""

    ordering = "-id"
    page_size = 50

    def decode_cursor(self, request):
        """A cursor is signed by nobody: one whose position is not an id is refused like any bad cursor."""
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None and not ASCII_DIGITS.match(cursor.position):
            raise NotFound(self.invalid_cursor_message)
        return cursor

    def get_paginated_response(self, data):
        return Response({"results": data, "next": self.get_next_link()})

    get_paginated_response_schema = ResultsPagination.get_paginated_response_schema


def page_schema(item_serializer_class, *, name: str):
    """The OpenAPI shape of a {"results", "next"} page of the given items."""
    from drf_spectacular.utils import inline_serializer
    from rest_framework import serializers

    return inline_serializer(
        name=name, fields={"results": item_serializer_class(many=True), "next": serializers.URLField(allow_null=True)}
    )
