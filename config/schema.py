"""OpenAPI generation: every operation documents the contract's error body."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField(required=False, child=serializers.ListField(child=serializers.CharField()))


ERROR_STATUSES = {
    "400": "invalid",
    "401": "not_authenticated",
    "403": "forbidden / wrong_password / wrong_pin",
    "404": "not_found",
    "405": "method_not_allowed",
    "409": "conflict / idempotency_conflict / already_paid",
    "413": "too_large",
    "415": "unsupported_media_type",
    "422": "insufficient_funds",
    "429": "rate_limited",
}


class ContractAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        error = self._get_response_for_code(OpenApiResponse(ErrorSerializer), "400", direction=direction)
        for status_code, codes in ERROR_STATUSES.items():
            responses.setdefault(status_code, {**error, "description": codes})
        return responses
