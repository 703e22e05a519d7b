"""The one reading of `Authorization: Bearer <token>`, for REST, the WebSocket handshake and /metrics.

An authentication scheme's name is case-insensitive (RFC 7235 section 2.1; RFC 6750 uses it), so
`bearer` and `BEARER` are `Bearer`: the socket took them while REST and /metrics refused them.
"""


def bearer_token(value: str | bytes) -> str | None:
    """The token of a Bearer credential, or None when the header holds another scheme or no token."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")  # HTTP header bytes, as ASGI and WSGI hand them over
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None
