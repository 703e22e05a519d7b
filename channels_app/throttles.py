"""Password guesses on private channels, per client address (beside the per-person lockout)."""

from accounts.throttles import SignInThrottle


class ChannelPasswordThrottle(SignInThrottle):
    """Counts only join attempts that carry a password: joining public channels stays unlimited."""

    scope = "channel_password"

    def allow_request(self, request, view):
        data = request.data
        if not (isinstance(data, dict) and data.get("password")):
            return True
        return super().allow_request(request, view)
