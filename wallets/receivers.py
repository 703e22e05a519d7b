"""What wallets answer to the channels' signals (connected in wallets/apps.py)."""

from django.utils.translation import gettext as _

from core.api.errors import Conflict
from wallets.selectors import wallet_keeps_group_wallet_in
from wallets.services.dues import dues_ask_newcomer
from wallets.services.wallets import group_wallets_forget_member


def refuse_a_treasurer_leaving(*, channel_id: int, user, **kwargs) -> None:
    """A group wallet kept by someone outside its channel could be paid into by nobody there but
    emptied by them: its treasurer leaves only once it is handed over (409 conflict)."""
    if wallet_keeps_group_wallet_in(user=user, channel_id=channel_id):
        raise Conflict(_("You keep a group wallet of this channel: hand it to another member before you leave."))


def leave_the_channels_group_wallets(*, channel_id: int, user, **kwargs) -> None:
    group_wallets_forget_member(channel_id=channel_id, user=user)


def ask_a_newcomer_for_open_dues(*, channel_id: int, user, **kwargs) -> None:
    dues_ask_newcomer(channel_id=channel_id, user=user)
