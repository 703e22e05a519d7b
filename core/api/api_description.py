"""What the OpenAPI document and its Swagger page (/api/docs/) say beyond the operations.

Data only: config.settings reads it before any app is loaded.
"""

from core.api.limits import DB_INTEGER_MAX

API_DESCRIPTION = """
Chat channels, wallets, transfers and dues of the group wallet messenger. Every error is
`{"code": "<machine_code>", "detail": "<text>"}` (validation errors add `"fields"`).
Money is an integer number of minor units (KRW: 1 = 1 won).

## Authentication

- **Bearer JWT** (`jwtAuth`): `POST /api/auth/token` with email and password answers
  `{access, refresh}`; send `Authorization: Bearer <access>`. Access tokens live 15 minutes.
  `POST /api/auth/token/refresh` exchanges a refresh token for a new access token **and a new
  refresh token**: each refresh token works once (a reused one is refused with 401).
- **Browser session** (`cookieAuth`): the `sessionid` cookie set by the sign-in page. Writes
  with the session also need the `X-CSRFToken` header (the `csrftoken` cookie's value).

Too many wrong passwords lock sign-in for that email from that address for a while (429
`rate_limited`); the same holds for a private channel's password and a wallet's PIN.

## When Redis is away

No write answers 5xx after it committed. A write that needs Redis before it can change anything
refuses with 503 `unavailable` and a `Retry-After` header, having changed nothing: sending a
message (it needs its seq), editing, deleting or reacting to one (it may still be in Redis),
moving a read marker, signing up and signing in (their attempt counters). Every other write
commits and answers as usual; what it announces (the dues card, notices, events) goes out, in
order and once, when Redis is back. Retrying with the same `Idempotency-Key` is safe either way.

## WebSocket: `/ws/`

One connection carries every channel. Credentials: the session cookie, or
`Authorization: Bearer <access>` on the handshake. Text frames, each a JSON object with a `type`.

- Client to server: `subscribe` {channel, since_seq?, since_version?}, `unsubscribe` {channel},
  `send` {channel, body, client_msg_id, reply_to?}, `typing` {channel}, `read` {channel, seq},
  `ping`.
- Server to client: `subscribed`, `unsubscribed`, `ack`, `message`, `message_edited`,
  `message_deleted`, `reactions`, `read_receipts`, `presence`, `typing`, `pong`,
  `event` (member_joined, member_left, mentioned, dues_requested, transfer_received, ...),
  `reconnect` {reason, retry_after_ms}, `resync` {channel}, and `error`
  {code: bad_request / forbidden / not_found / too_large / rate_limited / unavailable /
  internal_error}.
- Limits: bodies of 1 to 4,000 characters, frames up to 64 KiB; sends, typing and subscribe
  churn are rate limited per connection. Send a `ping` at least every 60 s.

Close codes:

| code | meaning |
|---|---|
| 4401 | no or bad credentials |
| 4408 | idle: no frame from the client within the idle timeout (300 s by default) |
| 4409 | too many connections: the user already holds 20 sockets on this node (`CHAT_MAX_CONNECTIONS_PER_USER`) |
| 4429 | rate limited, after `rate_limited` errors |
| 4503 | the client does not read fast enough; reconnect and resume with `since_seq` |
| 4012 | the node drained and the client had not left after its `reconnect` frame |

After any close or `reconnect` frame, reconnect (to any node) and `subscribe` again with
`since_seq`: nothing is missed and nothing arrives twice.

The whole protocol with an example session: [/docs/websocket.md](/docs/websocket.md); the
delivery guarantee and what it needs from Redis: [/docs/delivery.md](/docs/delivery.md); the
architecture: [/docs/architecture.md](/docs/architecture.md); operating it:
[/docs/operations.md](/docs/operations.md).
""".strip()

TAGS = [
    {"name": "accounts", "description": "Sign up, JWTs, who I am."},
    {"name": "channels", "description": "Chat channels, membership and read markers."},
    {
        "name": "chat",
        "description": "Messages: history and sending (delivered live like a WebSocket send); my channels with unread counts.",
    },
    {"name": "wallets", "description": "Personal and group wallets, transfers, scheduled transfers and dues."},
]

# The OpenAPI schema of an `<id:...>` path parameter (core/api/converters.py).
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": DB_INTEGER_MAX}
