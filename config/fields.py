"""Serializer fields shared by the apps' input serializers."""

from django.core.validators import RegexValidator
from rest_framework import serializers

from config.limits import DB_INTEGER_MAX


class StrictCharField(serializers.CharField):
    """Text that must arrive as a JSON string: DRF's CharField turns numbers and booleans into text."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.trim_whitespace and not self.allow_blank:
            # Only spaces are blank once trimmed; the pattern says so in the OpenAPI document (it
            # never refuses anything here itself: blank text is refused before validators run).
            self.validators.append(RegexValidator(r"\S"))

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class IdField(serializers.IntegerField):
    """The id of a row, as a client sends it in a body."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=DB_INTEGER_MAX, **kwargs)


class SeqField(serializers.IntegerField):
    """A message seq (0: before the first message), bounded by the bigint column it is compared with."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        super().__init__(max_value=DB_INTEGER_MAX, **kwargs)
