"""The invite link's page: a path (a #fragment would not survive signing in) that opens the messenger's
join page, after a sign-in that names the channel the link joins."""

from django.shortcuts import redirect, render

from accounts.forms import SignInForm
from channels_app import selectors
from core.api.errors import NotFound


def join_link(request, channel_id: int):
    if request.user.is_authenticated:
        return redirect(f"/#/join/{channel_id}")
    # Only the name (the join page says the rest once signed in); an unknown id gets the plain sign-in.
    try:
        invite = selectors.channel_get(channel_id=channel_id)
    except NotFound:
        invite = None
    return render(request, "accounts/signin.html", {"form": SignInForm(), "next": request.path, "invite": invite})
