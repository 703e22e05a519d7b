"""Who may do what: the secret key, hosts and trusted proxies, the sign-in lockout and account
passwords, tokens, cookies, HTTPS, the Content-Security-Policy, and who may read /metrics."""

import ipaddress
from datetime import timedelta

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.settings.base import DEBUG, env

INSECURE_DEFAULT_SECRET_KEY = "insecure-dev-only-secret-key-change-me"

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
# Production means "not DEBUG"; running it with the public default key would let anyone
# forge sessions and JWTs, so refuse to start. Local runs set DJANGO_DEBUG or a key.
if not DEBUG and SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY and not env.bool("DJANGO_ALLOW_INSECURE_KEY", default=False):
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for local development).")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])


def _networks(variable: str, default: list[str]) -> list[str]:
    """A list of networks from the environment, refused at start-up when one is not a network."""
    networks = env.list(variable, default=default)
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as error:
            raise ImproperlyConfigured(f"{variable}: {error}") from None
    return networks


# The reverse proxies in front of the web nodes (networks, e.g. "127.0.0.1/32"): only their
# X-Forwarded-For / X-Forwarded-Proto are believed (core/web/proxies.py). Empty: nobody's.
TRUSTED_PROXIES = _networks("TRUSTED_PROXIES", [])


# django-axes first: a locked-out sign-in stops before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Password guessing (REST /api/auth/token, the sign-in page, the admin): SIGNIN_LOCKOUT_FAILURES wrong
# passwords for one email from one address lock that pair out for SIGNIN_LOCKOUT_MINUTES (429);
# the same limits as channel passwords and wallet PINs. THROTTLE_SIGNIN caps attempts per address.
AXES_FAILURE_LIMIT = env.int("SIGNIN_LOCKOUT_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGNIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.web.proxies.request_client_address"
AXES_USERNAME_CALLABLE = "accounts.lockout.signin_email"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out_response"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list(
    "DJANGO_PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "SIGNING_KEY": SECRET_KEY,
    # A refresh answers a new refresh token and the old one is blacklisted: a stolen refresh
    # token stops working at its owner's next refresh, and a reused one is refused.
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
}

# Who may read /metrics (core/node/metrics_view.py): these networks, or anyone with the token.
METRICS_ALLOWED_NETWORKS = _networks("METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- HTTPS (production: DJANGO_HTTPS=1, TLS ending at the proxy). Plain HTTP otherwise: the
# embedded run, the tests and bin/cluster serve http://127.0.0.1.
HTTPS = env.bool("DJANGO_HTTPS", default=False)
if TRUSTED_PROXIES:
    # Only a trusted proxy's X-Forwarded-Proto reaches here (core/web/proxies.py drops anyone else's).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
# Health checks, the scraper and operators talk to a node directly over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$", r"^ops/"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=HTTPS)

# --- Content-Security-Policy (django-csp): scripts and styles from this origin only, inline
# ones only with the response's nonce. The WebSocket is same-origin ('self' covers ws/wss).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
