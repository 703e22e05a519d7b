"""What clients hear about money. Services call these inside `transaction.on_commit` only."""

from asgiref.sync import async_to_sync

from accounts.serializers import UserRefSerializer
from chat.events import publish_channel_event, publish_user_event
from chat.services import message_send
from wallets import selectors
from wallets.models import Dues, Transfer, Wallet
from wallets.serializers import DuesOutputSerializer, TransferOutputSerializer


def notify_transfer_received(*, transfer: Transfer, target: Wallet, sender) -> None:
    """Every connection of the people the money reached (but not the sender's own)."""
    data = {
        "transfer": TransferOutputSerializer(transfer).data,
        "from": UserRefSerializer(sender).data,
        "wallet": target.pk,
    }
    for user_id in selectors.wallet_member_user_ids(wallet=target):
        if user_id != sender.pk:
            publish_user_event(user_id=user_id, event="transfer_received", data=data)


def dues_announcement(*, dues: Dues, treasurer) -> str:
    return (
        f"{treasurer.username} asks the members of {dues.wallet.name} to pay "
        f"{dues.amount:,} {dues.wallet.currency} for \u201c{dues.title}\u201d."
    )


def notify_dues_requested(*, dues_id: int, treasurer) -> None:
    """A dues_requested event and a chat message (client_msg_id "dues:<id>") in the wallet's channel."""
    dues = selectors.dues_get(dues_id=dues_id)
    channel_id = dues.wallet.channel_id
    publish_channel_event(channel_id=channel_id, event="dues_requested", data={"dues": DuesOutputSerializer(dues).data})
    async_to_sync(message_send)(
        channel_id=channel_id,
        sender_id=treasurer.pk,
        sender_username=treasurer.username,
        body=dues_announcement(dues=dues, treasurer=treasurer),
        client_msg_id=f"dues:{dues.pk}",
    )


def notify_dues_paid(*, dues: Dues, payer, transfer: Transfer) -> None:
    publish_channel_event(
        channel_id=dues.wallet.channel_id,
        event="dues_paid",
        data={
            "dues_id": dues.pk,
            "wallet": dues.wallet_id,
            "user": UserRefSerializer(payer).data,
            "transfer_id": transfer.pk,
        },
    )
    notify_transfer_received(transfer=transfer, target=dues.wallet, sender=payer)
