"""What clients hear about money. Services call these inside their transaction: each announces
through the outbox (chat/outbox.py), so what a write announces commits with it and reaches
clients once Redis can take it.

Chat posts the server writes in someone's name (dues, reminders, handovers, policy changes) are in
that person's language: one message goes to the whole channel, and it is theirs.
"""

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from accounts.serializers import UserRefSerializer
from chat.outbox import announce_channel_event, announce_post, announce_user_event
from core.web.formats import money
from core.web.locale import user_language
from wallets import selectors
from wallets.models import ApprovalPolicy, ApprovalRequest, Dues, Split, Transfer, Wallet
from wallets.serializers import (
    ApprovalPolicyOutputSerializer,
    ApprovalRequestOutputSerializer,
    DuesOutputSerializer,
    SplitOutputSerializer,
    TransferOutputSerializer,
    WalletOutputSerializer,
)


def notify_transfer_received(*, transfer: Transfer, target: Wallet, sender) -> None:
    """Every connection of the people the money reached (but not the sender's own)."""
    data = {
        "transfer": TransferOutputSerializer(transfer).data,
        "from": UserRefSerializer(sender).data,
        "wallet": target.pk,
        "wallet_name": target.name,
        "wallet_kind": target.kind,  # a group wallet's members are told it reached the club's wallet, not them
    }
    for user_id in selectors.wallet_member_user_ids(wallet=target):
        if user_id != sender.pk:
            announce_user_event(user_id=user_id, event="transfer_received", data=data)


def dues_announcement(*, dues: Dues, treasurer) -> str:
    if dues.poll_option_id is not None:  # asked of some members only: the card names them
        return _("%(treasurer)s asks %(names)s, who chose “%(option)s”, to pay %(amount)s for “%(title)s”.") % {
            "treasurer": treasurer.username,
            "names": " ".join(f"@{payment.user.username}" for payment in dues.payments.all()),
            "option": dues.poll_option.text,
            "amount": money(dues.amount, dues.wallet.currency),
            "title": dues.title,
        }
    return _("%(treasurer)s asks everyone in the channel to pay %(amount)s into %(wallet)s for “%(title)s”.") % {
        "treasurer": treasurer.username,
        "wallet": dues.wallet.name,
        "amount": money(dues.amount, dues.wallet.currency),
        "title": dues.title,
    }


def notify_dues_requested(*, dues_id: int, treasurer) -> None:
    """A dues_requested event and a chat message (client_msg_id "sys:dues:<id>") in the wallet's channel."""
    dues = selectors.dues_get(dues_id=dues_id)
    channel_id = dues.wallet.channel_id
    announce_channel_event(
        channel_id=channel_id, event="dues_requested", data={"dues": DuesOutputSerializer(dues).data}
    )
    with translation.override(user_language(treasurer)):
        body = dues_announcement(dues=dues, treasurer=treasurer)
    announce_post(channel_id=channel_id, sender=treasurer, body=body, name=f"dues:{dues.pk}")


def notify_dues_paid(*, dues: Dues, payer, transfer: Transfer) -> None:
    announce_channel_event(
        channel_id=dues.wallet.channel_id,
        event="dues_paid",
        data={
            "dues_id": dues.pk,
            "wallet": dues.wallet_id,
            "user": UserRefSerializer(payer).data,
            "transfer_id": transfer.pk,
        },
    )


def notify_dues_reminder(*, dues_id: int, user_ids: list[int], reminded_hour: int, language: str = "") -> None:
    """A dues_reminder event to each member who has not paid, and one chat message mentioning them.

    The message's client_msg_id names the dues and the hour of the reminder, so a retried
    task does not post it twice (reminders are at most hourly, so one hour has one).
    """
    dues = selectors.dues_get(dues_id=dues_id)
    treasurer = dues.wallet.owner
    unpaid = [payment.user for payment in dues.payments.all() if payment.user_id in set(user_ids)]
    data = {"dues": DuesOutputSerializer(dues).data, "from": UserRefSerializer(treasurer).data}
    for user in unpaid:
        announce_user_event(user_id=user.pk, event="dues_reminder", data=data, channel_id=dues.wallet.channel_id)
    with translation.override(language or user_language(treasurer)):
        body = _("%(mentions)s a reminder: “%(title)s”, %(amount)s, is not paid yet.") % {
            "mentions": " ".join(f"@{user.username}" for user in unpaid),
            "title": dues.title,
            "amount": money(dues.amount, dues.wallet.currency),
        }
    announce_post(
        channel_id=dues.wallet.channel_id,
        sender=treasurer,
        body=body,
        name=f"dues-remind:{dues.pk}:{reminded_hour}",
    )


def notify_group_wallet_created(*, wallet_id: int) -> None:
    """The channel's members see a new group wallet appear without reloading."""
    wallet = selectors.wallet_detail(wallet_id=wallet_id)
    announce_channel_event(
        channel_id=wallet.channel_id, event="group_wallet_created", data={"wallet": WalletOutputSerializer(wallet).data}
    )


def notify_treasurer_changed(
    *, wallet_id: int, previous, cancelled_schedules: int, cancelled_requests: list[int]
) -> None:
    wallet = selectors.wallet_detail(wallet_id=wallet_id)
    announce_channel_event(
        channel_id=wallet.channel_id,
        event="treasurer_changed",
        data={
            "wallet": WalletOutputSerializer(wallet).data,
            "previous": UserRefSerializer(previous).data,
            "cancelled_schedules": cancelled_schedules,
            "cancelled_approvals": cancelled_requests,
        },
    )
    with translation.override(user_language(previous)):
        body = _("%(previous)s handed the group wallet %(wallet)s to %(treasurer)s.") % {
            "previous": previous.username,
            "wallet": wallet.name,
            "treasurer": wallet.owner.username,
        }
        if cancelled_schedules:
            body += " " + ngettext(
                "%(count)d scheduled transfer was cancelled.",
                "%(count)d scheduled transfers were cancelled.",
                cancelled_schedules,
            ) % {"count": cancelled_schedules}
    announce_post(channel_id=wallet.channel_id, sender=previous, body=body)


def _approval_audience(request: ApprovalRequest) -> set[int]:
    return {user.pk for user in request.rule.approvers.all()} | {request.requested_by_id, request.from_wallet.owner_id}


def notify_approval_requested(*, request_id: int) -> None:
    """Each approver (and the treasurer) hears that money waits for them."""
    request = selectors.approval_request_any(request_id=request_id)
    data = {"approval": ApprovalRequestOutputSerializer(request).data}
    for user_id in _approval_audience(request):
        announce_user_event(user_id=user_id, event="approval_requested", data=data)
    _approval_activity(request, asked=True)


def notify_approval_changed(*, request_id: int) -> None:
    """An approval counted, the transfer ran, or someone rejected it."""
    request = selectors.approval_request_any(request_id=request_id)
    data = {"approval": ApprovalRequestOutputSerializer(request).data}
    for user_id in _approval_audience(request):
        announce_user_event(user_id=user_id, event="approval_changed", data=data)
    _approval_activity(request)


_WINDOW_WORDS = {
    ApprovalPolicy.Window.TRANSFER: gettext_noop("Each transfer counts on its own."),
    ApprovalPolicy.Window.DAY: gettext_noop("It counts what left the wallet over the last day."),
    ApprovalPolicy.Window.WEEK: gettext_noop("It counts what left the wallet over the last week."),
}


def notify_approval_policy_changed(*, wallet_id: int, by) -> None:
    """The whole channel sees the rule that watches its treasurer change."""
    wallet = selectors.wallet_detail(wallet_id=wallet_id)
    policy = selectors.approval_policy_for(wallet=wallet)
    announce_channel_event(
        channel_id=wallet.channel_id,
        event="approval_policy_changed",
        data={"wallet": wallet.pk, "policy": ApprovalPolicyOutputSerializer(policy).data if policy else None},
    )
    with translation.override(user_language(by)):
        if policy is None:
            body = _("%(treasurer)s removed the approval rule of %(wallet)s.") % {
                "treasurer": by.username,
                "wallet": wallet.name,
            }
        else:
            body = ngettext(
                "%(treasurer)s set the approval rule of %(wallet)s: money out above %(threshold)s needs "
                "%(required)d approval from %(approvers)s.",
                "%(treasurer)s set the approval rule of %(wallet)s: money out above %(threshold)s needs "
                "%(required)d approvals from %(approvers)s.",
                policy.required,
            ) % {
                "treasurer": by.username,
                "wallet": wallet.name,
                "threshold": money(policy.threshold, wallet.currency),
                "required": policy.required,
                "approvers": ", ".join(user.username for user in policy.approvers.all()),
            }
            # The window in words too: a change of it alone loosens or tightens the rule.
            body += " " + _(_WINDOW_WORDS[policy.window])
    announce_post(channel_id=wallet.channel_id, sender=by, body=body)


def split_announcement(*, split: Split) -> str:
    asked = [share for share in split.shares.all() if share.paid_at is None]
    return _("%(name)s split “%(title)s” (%(total)s): %(shares)s.") % {
        "name": split.created_by.username,
        "title": split.title,
        "total": money(split.total, split.to_wallet.currency),
        "shares": ", ".join(
            f"@{share.user.username} {money(share.amount, split.to_wallet.currency)}" for share in asked
        ),
    }


def notify_split_requested(*, split_id: int) -> None:
    """A split_requested event and the split's card in the chat (client_msg_id "sys:split:<id>"),
    naming each member asked to pay; it goes through the same post as the dues cards."""
    split = selectors.split_get(split_id=split_id)
    announce_channel_event(
        channel_id=split.channel_id, event="split_requested", data={"split": SplitOutputSerializer(split).data}
    )
    with translation.override(user_language(split.created_by)):
        body = split_announcement(split=split)
    announce_post(channel_id=split.channel_id, sender=split.created_by, body=body, name=f"split:{split.pk}")


def notify_split_paid(*, split_id: int, payer, transfer: Transfer | None) -> None:
    split = selectors.split_get(split_id=split_id)
    announce_channel_event(
        channel_id=split.channel_id,
        event="split_paid",
        data={
            "split": SplitOutputSerializer(split).data,
            "user": UserRefSerializer(payer).data,
            "transfer_id": transfer.pk if transfer else None,
        },
    )
    if all(share.paid_at is not None for share in split.shares.all()):  # settled: a line in the feed
        with translation.override(user_language(split.created_by)):
            body = _("✔️ “%(title)s” is settled: everyone paid their share of %(total)s.") % {
                "title": split.title,
                "total": money(split.total, split.to_wallet.currency),
            }
        announce_post(
            channel_id=split.channel_id, sender=split.created_by, body=body, name=f"activity:split:{split.pk}"
        )


def notify_split_reminder(*, split_id: int, user_ids: list[int], reminded_hour: int, language: str = "") -> None:
    """A split_reminder event to each member who has not paid, and one chat message mentioning them
    (its client_msg_id names the hour: a retry does not post it twice)."""
    split = selectors.split_get(split_id=split_id)
    unpaid = [share for share in split.shares.all() if share.user_id in set(user_ids)]
    data = {"split": SplitOutputSerializer(split).data, "from": UserRefSerializer(split.created_by).data}
    for share in unpaid:
        announce_user_event(user_id=share.user_id, event="split_reminder", data=data, channel_id=split.channel_id)
    with translation.override(language or user_language(split.created_by)):
        body = _("%(mentions)s a reminder: your share of “%(title)s” is not paid yet.") % {
            "mentions": " ".join(f"@{share.user.username}" for share in unpaid),
            "title": split.title,
        }
    announce_post(
        channel_id=split.channel_id, sender=split.created_by, body=body, name=f"split-remind:{split.pk}:{reminded_hour}"
    )


# --- the group wallet's activity in its channel (모임통장's 거래내역) ----------------------------
# Compact posts whose client_msg_id starts with "sys:activity:" (the browser's money filter keys on it);
# each id names what happened, so a repeated notification does not post twice.


def notify_group_wallet_activity(*, transfer_id: int) -> None:
    """Money into or out of a group wallet, posted in the wallet's channel in the mover's name."""
    transfer = selectors.transfer_with_legs(transfer_id=transfer_id)
    actor = transfer.initiated_by
    for leg in transfer.legs:
        wallet = leg.wallet
        if wallet is None or not wallet.is_group:
            continue
        with translation.override(user_language(actor)):
            values = {
                "name": actor.username,
                "wallet": wallet.name,
                "amount": money(abs(leg.amount), wallet.currency),
                "balance": money(leg.balance_after, wallet.currency),
                "memo": f" · {transfer.memo}" if transfer.memo else "",
            }
            if leg.amount < 0:
                body = _("💸 %(wallet)s: %(amount)s out by %(name)s%(memo)s · balance %(balance)s") % values
            elif transfer.kind == Transfer.Kind.DUES:
                body = _("💰 %(wallet)s: %(name)s paid dues of %(amount)s%(memo)s · balance %(balance)s") % values
            else:
                body = _("💰 %(wallet)s: %(amount)s in from %(name)s%(memo)s · balance %(balance)s") % values
        announce_post(channel_id=wallet.channel_id, sender=actor, body=body, name=f"activity:{transfer.pk}:{wallet.pk}")


def _approval_activity(request: ApprovalRequest, *, asked: bool = False) -> None:
    """Approvals asked, given and refused, in the wallet's channel (the money itself posts when it
    moves). A change is read from the request as it is now: its latest approval, or its rejection."""
    wallet = request.from_wallet
    approvals = [] if asked else sorted(request.approvals.all(), key=lambda approval: approval.pk)
    if asked:
        actor, step = request.requested_by, "asked"
    elif request.status == ApprovalRequest.Status.REJECTED:
        actor, step = request.decided_by, "rejected"
    elif approvals:
        actor, step = approvals[-1].user, f"approved-{len(approvals)}"
    else:
        return  # cancelled by a handover: the handover's own post says so
    with translation.override(user_language(actor)):
        values = {
            "name": actor.username,
            "wallet": wallet.name,
            "amount": money(request.amount, wallet.currency),
            "count": len(approvals),
            "required": request.required,
        }
        if step == "asked":
            body = _("🕒 %(wallet)s: %(name)s asks approval to send %(amount)s (%(count)d of %(required)d)") % values
        elif step == "rejected":
            body = _("❌ %(wallet)s: %(name)s rejected sending %(amount)s") % values
        else:
            body = _("✅ %(wallet)s: %(name)s approved sending %(amount)s (%(count)d of %(required)d)") % values
    announce_post(channel_id=wallet.channel_id, sender=actor, body=body, name=f"activity:approval:{request.pk}:{step}")
