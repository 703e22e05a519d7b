"""The two-person rule: a group wallet's approval policy, and the approvals that release its money.

Money out of a group wallet above the policy's threshold opens an ApprovalRequest instead of
moving (wallets.services.movements). Each approver approves once, with their own PIN; the last
approval moves the money through money_move, with every usual check at that moment, and the
request row's lock makes that happen once however many approvals race. One rejection (by an
approver, the treasurer, or the person who asked) ends the request.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_app.selectors import channel_member_ids, channel_membership_for_update
from core.api.errors import Conflict, DomainError, Forbidden
from wallets import notifications, selectors
from wallets.locks import lock_approval_request, lock_wallets
from wallets.models import Approval, ApprovalPolicy, ApprovalRequest, ScheduledTransferRun, Transfer, Wallet
from wallets.services.movements import Order, money_move, pin_guarded


def _check_policy_keeper(*, actor, wallet: Wallet) -> None:
    if not wallet.is_group or wallet.owner_id != actor.pk:
        raise Forbidden(_("Only the treasurer of a group wallet can set its approval policy."))


def approval_policy_set(
    *, actor, wallet_id: int, threshold: int, approver_ids: list[int], required: int, window: str = "day"
) -> ApprovalPolicy | None:
    """Sets (or, with no approvers and required 0, removes) the wallet's policy. The channel is told,
    so a treasurer cannot quietly loosen the rule that watches them."""
    wallet = selectors.wallet_get(wallet_id=wallet_id)
    _check_policy_keeper(actor=actor, wallet=wallet)
    approver_ids = list(dict.fromkeys(approver_ids))
    removing = not approver_ids and required == 0
    if not removing:
        if not 1 <= required <= len(approver_ids):
            message = _("Between 1 and the number of approvers.")
            raise DomainError(message, fields={"required": [message]})
        if actor.pk in approver_ids:
            message = _("The treasurer cannot approve their own payments: choose other members.")
            raise DomainError(message, fields={"approvers": [message]})
        if set(approver_ids) - set(channel_member_ids(channel_id=wallet.channel_id)):
            message = _("Every approver must be a member of the channel.")
            raise DomainError(message, fields={"approvers": [message]})
    approvers = list(get_user_model().objects.filter(pk__in=approver_ids))
    with transaction.atomic():
        # The wallet's lock: a transfer reads the policy under it, so none slips past a change.
        locked = lock_wallets([wallet_id])[wallet_id]
        _check_policy_keeper(actor=actor, wallet=locked)
        if removing:
            ApprovalPolicy.objects.filter(wallet=locked).delete()
            policy = None
        else:
            policy, _created = ApprovalPolicy.objects.update_or_create(
                wallet=locked,
                defaults={"threshold": threshold, "window": window, "required": required, "updated_by": actor},
            )
            policy.approvers.set(approvers)
        notifications.notify_approval_policy_changed(wallet_id=wallet_id, by=actor)
    return policy


def _approvers_in_channel(request: ApprovalRequest):
    """The rule's approvers still in the wallet's channel: someone who left it (or was removed)
    no longer approves, and their yes no longer counts."""
    return request.rule.approvers.filter(channel_memberships__channel_id=request.from_wallet.channel_id)


def _check_can_decide(*, request: ApprovalRequest, user, approving: bool) -> None:
    if request.status != ApprovalRequest.Status.PENDING:
        raise Conflict(_("This transfer is no longer waiting for approvals."))
    is_approver = _approvers_in_channel(request).filter(pk=user.pk).exists()
    if approving:
        if user.pk == request.requested_by_id:
            raise Forbidden(_("You asked for this transfer: other members approve it."))
        if not is_approver:
            raise Forbidden(_("You are not one of this wallet's approvers."))
    elif not (is_approver or user.pk in (request.requested_by_id, request.from_wallet.owner_id)):
        raise Forbidden(_("Only an approver, the treasurer or the person who asked can reject it."))


def _order(request: ApprovalRequest) -> Order:
    return Order(
        kind=request.kind,
        actor=request.requested_by,
        amount=request.amount,
        source_id=request.from_wallet_id,
        target_id=request.to_wallet_id,
        memo=request.memo,
        approved=True,
    )


class _ApprovalClaim:
    """One approver's yes: the request row is locked before the wallets, so only the last approval
    of a request moves its money, once."""

    def __init__(self, *, request_id: int, approver):
        self.request_id, self.approver = request_id, approver
        self.request: ApprovalRequest | None = None

    def lock(self) -> None:
        self.request = lock_approval_request(self.request_id)
        _check_can_decide(request=self.request, user=self.approver, approving=True)
        if self.request.approvals.filter(user=self.approver).exists():
            raise Conflict(_("You have already approved this transfer."))

    def ready(self) -> bool:
        # Read again under the wallet's lock, which a policy change takes: the rule at this moment.
        self.request = lock_approval_request(self.request_id)
        # The approver's membership locked as a leave locks it: a leave racing this yes comes first
        # (and the yes is refused) or after it.
        channel_membership_for_update(user_id=self.approver.pk, channel_id=self.request.from_wallet.channel_id)
        _check_can_decide(request=self.request, user=self.approver, approving=True)
        # Approvals of people since taken off the policy, or out of the channel, no longer count.
        given = self.request.approvals.filter(user__in=_approvers_in_channel(self.request)).count()
        return given + 1 >= self.request.rule.required

    def settle(self, transfer: Transfer | None) -> None:
        Approval.objects.create(request=self.request, user=self.approver)
        if transfer is not None:
            _decide(self.request, status=ApprovalRequest.Status.COMPLETED, by=self.approver, transfer=transfer)
        notifications.notify_approval_changed(request_id=self.request_id)


def _decide(request: ApprovalRequest, *, status: str, by, transfer: Transfer | None = None) -> None:
    rule = request.rule  # the rule it was decided under stays on record
    request.required = rule.required
    request.approvers.set(list(rule.approvers.all()))
    request.status, request.decided_by, request.decided_at, request.transfer = status, by, timezone.now(), transfer
    request.save(update_fields=["status", "required", "decided_by", "decided_at", "transfer"])
    # A scheduled occurrence that waited on this request gets its outcome.
    if transfer is not None:
        request.scheduled_runs.update(status=ScheduledTransferRun.Status.OK, transfer=transfer)
    else:
        request.scheduled_runs.update(status=ScheduledTransferRun.Status.FAILED, error=_("Rejected."))


def approval_approve(*, actor, request_id: int, pin: str) -> ApprovalRequest:
    """The approver's yes, with their PIN. The last one runs the transfer with every usual check;
    if one fails (say the wallet no longer holds enough), nothing is recorded and the request
    waits: approve again once the reason is gone, or reject it."""
    request = selectors.approval_request_for_user(user=actor, request_id=request_id)
    _check_can_decide(request=request, user=actor, approving=True)
    money_move(
        order=_order(request), pin=pin, pin_holder=actor, claim=_ApprovalClaim(request_id=request_id, approver=actor)
    )
    # What the decision did, read unfiltered: it committed, even if its maker left the channel since.
    return selectors.approval_request_any(request_id=request_id)


def approval_reject(*, actor, request_id: int, pin: str) -> ApprovalRequest:
    request = selectors.approval_request_for_user(user=actor, request_id=request_id)
    _check_can_decide(request=request, user=actor, approving=False)
    locked: dict[str, ApprovalRequest] = {}

    def lock_request() -> None:
        locked["request"] = lock_approval_request(request_id)
        _check_can_decide(request=locked["request"], user=actor, approving=False)

    def reject(wallets) -> None:
        _decide(locked["request"], status=ApprovalRequest.Status.REJECTED, by=actor)
        notifications.notify_approval_changed(request_id=request_id)

    pin_guarded(user=actor, pin=pin, first=lock_request, work=reject)
    # What the decision did, read unfiltered: it committed, even if its maker left the channel since.
    return selectors.approval_request_any(request_id=request_id)
