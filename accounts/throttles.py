"""Per-client limits on the endpoints attackers hammer: sign-in and sign-up."""

from rest_framework.throttling import AnonRateThrottle


class SignInThrottle(AnonRateThrottle):
    scope = "signin"

    def get_cache_key(self, request, view):
        # Count every attempt from one address, signed in or not.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SignUpThrottle(SignInThrottle):
    scope = "signup"
