"""Serializer fields shared by the apps' input serializers."""

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """Text that must arrive as a JSON string: DRF's CharField turns numbers and booleans into text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
