"""Path converters: ids in URLs are bounded to what the database's bigint columns hold.

Django's `<int:...>` takes any number of digits; an id past 2**63 - 1 reached the database
and failed there. `<id:...>` refuses it at routing, so it answers 404 like any unknown id.
"""

from django.urls import register_converter

from core.api.limits import DB_INTEGER_MAX


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= DB_INTEGER_MAX:
            raise ValueError(f"{value} is not a database id")  # no match: the URL answers 404
        return number

    def to_url(self, value) -> str:
        return str(value)


def register() -> None:
    register_converter(IdConverter, "id")
