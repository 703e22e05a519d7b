"""OpenAPI generation through drf-spectacular's public hooks.

- Component names: every view nests its own `InputSerializer`/`OutputSerializer`, so a nested
  serializer is named after its view (`ChannelJoinApi.InputSerializer` -> `ChannelJoinInput`);
  with the bare class name they all became one `InputRequest` and the first one won.
- operationIds: the view and the method (`channel_join_post`), unique by construction.
- Tags: the app a view lives in.
- Errors: every operation documents the contract's error body (a postprocessing hook).
- Bodies: a request body with required fields is itself required (another hook); without it a
  client may leave the body out, and an edit (PATCH) would be documented as body-less.
- NUL: every text a client sends refuses U+0000 (DRF's CharField, as PostgreSQL cannot store it);
  a hook puts that into each text field's pattern, so the document says what the server does.
"""

import re

from drf_spectacular.openapi import AutoSchema

# The body of every error response (core/api/errors.py builds it).
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["code", "detail"],
}

ERROR_STATUSES = {
    "400": "invalid",
    "401": "not_authenticated",
    "403": "forbidden / wrong_password / wrong_pin / pin_locked",
    "404": "not_found",
    "405": "method_not_allowed",
    "409": "conflict / idempotency_conflict / already_paid",
    "413": "too_large",
    "415": "unsupported_media_type",
    "422": "insufficient_funds",
    "429": "rate_limited",
}

# The Django app a view lives in -> its tag (described in core/api/api_description.py).
APP_TAGS = {"accounts": "accounts", "channels_app": "channels", "chat": "chat", "wallets": "wallets"}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class ContractAutoSchema(AutoSchema):
    def get_serializer_name(self, serializer, direction):
        outer, _, inner = type(serializer).__qualname__.rpartition(".")
        if outer:
            return outer.removesuffix("Api") + inner.removesuffix("Serializer")
        return super().get_serializer_name(serializer, direction)

    def get_operation_id(self):
        return f"{_snake(type(self.view).__name__.removesuffix('Api'))}_{self.method.lower()}"

    def get_tags(self):
        app = type(self.view).__module__.split(".")[0]
        return [APP_TAGS.get(app, app)]


def document_error_responses(result, generator, request, public):
    """Postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]): the error statuses of every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result["paths"].values():
        for operation in operations.values():
            for status, codes in ERROR_STATUSES.items():
                operation["responses"].setdefault(status, {"description": codes, "content": body})
    return result


NO_NUL = "[^\\u0000]*"
NUL = "\\u0000"


def _refuse_nul(schema: dict) -> None:
    """Text (no format, no choices) gets a pattern that refuses NUL; a pattern it has is kept inside it."""
    if schema.get("type") == "array":
        _refuse_nul(schema.get("items", {}))
    if schema.get("type") != "string" or "format" in schema or "enum" in schema:
        return
    pattern = schema.get("pattern")
    if pattern is None:
        schema["pattern"] = f"^{NO_NUL}$"
    elif not (pattern.startswith("^") and pattern.endswith("$")):
        # "Contains one of these" becomes "contains one of these, and no NUL anywhere".
        schema["pattern"] = f"^{NO_NUL}(?:{pattern.replace('[^', '[^' + NUL)}){NO_NUL}$"


def document_nul_refusal(result, generator, request, public):
    """Postprocessing hook: request text fields and text query parameters say that NUL is refused."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):  # COMPONENT_SPLIT_REQUEST: what clients send
            for field in component.get("properties", {}).values():
                _refuse_nul(field)
    for operations in result["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    _refuse_nul(parameter["schema"])
    return result


def require_bodies_with_required_fields(result, generator, request, public):
    """Postprocessing hook: `requestBody.required` wherever the body's schema requires a field."""
    components = result.get("components", {}).get("schemas", {})
    for operations in result["paths"].values():
        for operation in operations.values():
            request_body = operation.get("requestBody")
            if request_body is None:
                continue
            for media in request_body.get("content", {}).values():
                schema = media.get("schema", {})
                if "$ref" in schema:
                    schema = components.get(schema["$ref"].rsplit("/", 1)[1], {})
                if schema.get("required"):
                    request_body["required"] = True
    return result
