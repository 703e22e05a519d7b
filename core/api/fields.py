"""Serializer fields shared by the apps' input serializers."""

import re

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.limits import DB_INTEGER_MAX


def _whitespace_class() -> str:
    """A regex class of what str.strip() removes (it trims DRF's CharField), in a form both Python
    and JSON Schema's ECMA regexes read alike: their \\s differ (\\x1c-\\x1f, \\x85, \\ufeff)."""
    spaces = [code for code in range(0x3001) if chr(code).isspace()]  # none lie above U+3000
    return "".join(f"\\u{code:04x}" for code in spaces)


# Text with something left once trimmed.
NOT_BLANK = f"[^{_whitespace_class()}]"


class StrictCharField(serializers.CharField):
    """Text that must arrive as a JSON string: DRF's CharField turns numbers and booleans into text."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.trim_whitespace and not self.allow_blank:
            # Only spaces are blank once trimmed; the pattern says so in the OpenAPI document (it
            # never refuses anything here itself: blank text is refused before validators run).
            self.validators.append(RegexValidator(NOT_BLANK))

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


ASCII_DIGITS = re.compile(r"\A[0-9]+\Z")


class IdField(serializers.IntegerField):
    """The id of a row: a JSON integer, or its ASCII digits (a query string, a form's value).
    DRF's int(str(value)) would also take 5.0, "5.0", " 5 " and other scripts' digits ("٥")."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=DB_INTEGER_MAX, **kwargs)

    def to_internal_value(self, data):
        is_integer = isinstance(data, int) and not isinstance(data, bool)
        if not (is_integer or (isinstance(data, str) and ASCII_DIGITS.match(data))):
            self.fail("invalid")
        return super().to_internal_value(data)


class QuerySerializer(serializers.Serializer):
    """The parameters of a query string. Django hands a field the last of repeated values, and DRF
    reads an empty optional value as no value: so `?before_seq=abc&before_seq=3` meant 3 and
    `?limit=` the default. A repeated parameter, and an empty one (unless it is text that may be
    blank), are refused."""

    default_error_messages = {"repeated": _("Give this parameter once."), "empty": _("Give a value, or leave it out.")}

    def to_internal_value(self, data):
        errors = {}
        for name, field in self.fields.items():
            values = data.getlist(name) if hasattr(data, "getlist") else []
            if len(values) > 1:
                errors[name] = [self.error_messages["repeated"]]
            elif values == [""] and not getattr(field, "allow_blank", False):
                message = "blank" if isinstance(field, serializers.CharField) else "invalid"
                errors[name] = [field.error_messages.get(message, self.error_messages["empty"])]
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class SeqField(serializers.IntegerField):
    """A message seq (0: before the first message), bounded by the bigint column it is compared with."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        super().__init__(max_value=DB_INTEGER_MAX, **kwargs)
