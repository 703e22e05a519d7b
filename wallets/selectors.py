"""Wallet reads, each with its access rule.

A personal wallet is seen only by its owner. A group wallet is seen by the members of its
channel (they may join it); people who left the channel no longer see it.
"""

from dataclasses import dataclass, field

from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_app.models import Membership
from channels_app.selectors import channel_is_member
from core.api.errors import Forbidden, NotFound
from wallets.models import (
    ApprovalPolicy,
    ApprovalRequest,
    Dues,
    DuesPayment,
    GroupWalletMember,
    LedgerEntry,
    RecurringDues,
    ScheduledTransfer,
    Split,
    SplitShare,
    Transfer,
    Wallet,
)


def _with_member_count(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("owner").annotate(member_count=Count("members"))


def wallet_get(*, wallet_id: int) -> Wallet:
    wallet = Wallet.objects.select_related("owner").filter(pk=wallet_id).first()
    if wallet is None:
        raise NotFound(_("Wallet not found."))
    return wallet


def wallet_can_view(*, user, wallet: Wallet) -> bool:
    if wallet.is_group:
        return channel_is_member(user=user, channel_id=wallet.channel_id)
    return wallet.owner_id == user.pk


def wallet_for_viewer(*, user, wallet_id: int) -> Wallet:
    """The wallet with its member count, if the user may see it."""
    wallet = _with_member_count(Wallet.objects.filter(pk=wallet_id)).first()
    if wallet is None:
        raise NotFound(_("Wallet not found."))
    if not wallet_can_view(user=user, wallet=wallet):
        raise Forbidden(_("You cannot see this wallet."))
    return wallet


def wallet_detail(*, wallet_id: int) -> Wallet:
    """The wallet with its member count, unchecked (events to people already allowed to see it)."""
    return _with_member_count(Wallet.objects.filter(pk=wallet_id)).get()


def wallet_personal(*, user) -> Wallet | None:
    return _with_member_count(Wallet.objects.filter(owner=user, kind=Wallet.Kind.PERSONAL)).first()


def wallet_list_mine(*, user) -> list[Wallet]:
    """The user's personal wallet, then every group wallet they joined, oldest first."""
    mine = Q(owner=user, kind=Wallet.Kind.PERSONAL) | Q(
        kind=Wallet.Kind.GROUP, members__user=user, channel__memberships__user=user
    )
    ids = Wallet.objects.filter(mine).values("pk")
    return list(_with_member_count(Wallet.objects.filter(pk__in=ids)).order_by("-kind", "pk"))


def wallet_list_for_channel(*, channel_id: int) -> list[Wallet]:
    return list(_with_member_count(Wallet.objects.filter(channel_id=channel_id)).order_by("pk"))


def wallet_is_member(*, user, wallet: Wallet) -> bool:
    if wallet.is_group:
        return GroupWalletMember.objects.filter(wallet=wallet, user=user).exists()
    return wallet.owner_id == user.pk


def wallet_member_user_ids(*, wallet: Wallet) -> list[int]:
    if wallet.is_group:
        return list(GroupWalletMember.objects.filter(wallet=wallet).values_list("user_id", flat=True))
    return [wallet.owner_id]


def wallet_members(*, wallet: Wallet) -> list[GroupWalletMember]:
    return list(GroupWalletMember.objects.filter(wallet=wallet).select_related("user").order_by("joined_at", "pk"))


def wallet_entries(*, wallet: Wallet) -> QuerySet:
    """The wallet's ledger, with each transfer's two wallets for the counterparty (one query)."""
    return LedgerEntry.objects.filter(wallet=wallet).select_related(
        "transfer__from_wallet__owner", "transfer__to_wallet__owner"
    )


def scheduled_transfer_list(*, wallet: Wallet) -> QuerySet:
    """Schedules out of and into the wallet; `direction` says which, seen from this wallet."""
    return (
        ScheduledTransfer.objects.filter(Q(from_wallet=wallet) | Q(to_wallet=wallet))
        .annotate(direction=Case(When(from_wallet=wallet, then=Value("outgoing")), default=Value("incoming")))
        .select_related("from_wallet", "to_wallet__owner", "created_by")
        .order_by("-pk")
    )


def _dues_queryset() -> QuerySet:
    payments = DuesPayment.objects.select_related("user").order_by("user__username", "pk")
    return Dues.objects.select_related("wallet__owner", "poll_option").prefetch_related(
        Prefetch("payments", queryset=payments)
    )


def dues_for_viewer(*, user, dues_id: int) -> Dues:
    dues = _dues_queryset().filter(pk=dues_id).first()
    if dues is None:
        raise NotFound(_("Dues not found."))
    if not wallet_can_view(user=user, wallet=dues.wallet):
        raise Forbidden(_("You cannot see these dues."))
    return dues


def dues_get(*, dues_id: int) -> Dues:
    return _dues_queryset().get(pk=dues_id)


def dues_list(*, wallet: Wallet) -> list[Dues]:
    return list(_dues_queryset().filter(wallet=wallet).order_by("-pk"))


def wallet_lookup(*, user, number: int) -> Wallet:
    """Whose wallet a number is, to confirm a transfer before sending (any signed-in user). A group
    wallet only for members of its channel: to anyone else it does not exist, so a private
    channel's fund and treasurer stay unknown."""
    wallet = Wallet.objects.select_related("owner").filter(pk=number).first()
    if wallet is None or (wallet.is_group and not channel_is_member(user=user, channel_id=wallet.channel_id)):
        raise NotFound(_("No wallet has this number."))
    return wallet


def wallet_recipients(*, user, channel_id: int | None = None) -> list[Wallet]:
    """The personal wallets of the people who share a channel with the user (or this channel), by name."""
    shared = Membership.objects.filter(user=user)
    if channel_id is not None:
        shared = shared.filter(channel_id=channel_id)
    neighbours = Membership.objects.filter(channel__in=shared.values("channel")).values("user")
    return list(
        Wallet.objects.filter(kind=Wallet.Kind.PERSONAL, owner__in=neighbours, owner__is_active=True)
        .exclude(owner=user)
        .select_related("owner")
        .order_by("owner__username", "pk")
    )


def wallet_keeps_group_wallet_in(*, user, channel_id: int) -> bool:
    """Whether the user is the treasurer of a group wallet of this channel (they may not leave it)."""
    return Wallet.objects.filter(kind=Wallet.Kind.GROUP, channel_id=channel_id, owner=user).exists()


def wallet_spent_unapproved(*, wallet: Wallet, since) -> int:
    """What left the wallet since then without approvals (money an approval released not counted)."""
    released = ApprovalRequest.objects.filter(transfer=OuterRef("pk"))
    spent = Transfer.objects.filter(~Exists(released), from_wallet=wallet, created_at__gte=since).aggregate(
        total=Sum("amount")
    )["total"]
    return spent or 0


def approval_policy_for(*, wallet: Wallet) -> ApprovalPolicy | None:
    return ApprovalPolicy.objects.filter(wallet=wallet).prefetch_related("approvers").first()


def _approval_requests() -> QuerySet:
    return ApprovalRequest.objects.select_related(
        "from_wallet__owner", "from_wallet__approval_policy", "to_wallet__owner", "requested_by", "decided_by"
    ).prefetch_related("approvers", "approvals", "from_wallet__approval_policy__approvers")


def _approval_requests_seen_by(user) -> QuerySet:
    """Requests the user approves (by the rule in force: ApprovalRequest.rule), asked for, or keeps
    the wallet of, in channels they are still in."""
    in_channel = Membership.objects.filter(channel=OuterRef("from_wallet__channel"), user=user)
    policy = ApprovalPolicy.objects.filter(wallet=OuterRef("from_wallet"))
    policy_in_force = Q(status=ApprovalRequest.Status.PENDING) & Exists(policy)
    approver = (policy_in_force & Exists(policy.filter(approvers=user))) | (~policy_in_force & Q(approvers=user))
    return (
        _approval_requests()
        .filter(approver | Q(requested_by=user) | Q(from_wallet__owner=user))
        .filter(Exists(in_channel))
        .distinct()
    )


def approval_requests_pending(*, user) -> list[ApprovalRequest]:
    return list(_approval_requests_seen_by(user).filter(status=ApprovalRequest.Status.PENDING).order_by("-pk"))


def approval_request_for_user(*, user, request_id: int) -> ApprovalRequest:
    request = _approval_requests_seen_by(user).filter(pk=request_id).first()
    if request is None:
        raise NotFound(_("Approval request not found."))
    return request


def approval_request_any(*, request_id: int) -> ApprovalRequest:
    return _approval_requests().get(pk=request_id)


def approval_requests_for_wallet(*, wallet: Wallet) -> list[ApprovalRequest]:
    return list(_approval_requests().filter(from_wallet=wallet).order_by("-pk")[:50])


def recurring_dues_list(*, wallet: Wallet) -> list[RecurringDues]:
    return list(RecurringDues.objects.filter(wallet=wallet).order_by("-pk"))


@dataclass
class MemberDuesRecord:
    """How one member has paid a group wallet's dues."""

    user: object
    paid_on_time: int = 0
    paid_late: int = 0
    unpaid: int = 0
    overdue: int = 0  # unpaid past the due date, among `unpaid`
    owed: int = 0
    dues_ids_unpaid: list[int] = field(default_factory=list)


def dues_overview(*, wallet: Wallet) -> list[MemberDuesRecord]:
    """Per member, over every dues of the wallet: paid on time, paid late, unpaid (one query)."""
    now = timezone.now()
    records: dict[int, MemberDuesRecord] = {}
    payments = (
        DuesPayment.objects.filter(dues__wallet=wallet)
        .select_related("user", "dues")
        .order_by("user__username", "user_id", "dues_id")
    )
    for payment in payments:
        record = records.setdefault(payment.user_id, MemberDuesRecord(user=payment.user))
        due_at = payment.dues.due_at
        if payment.transfer_id is not None:
            if due_at is not None and payment.paid_at > due_at:
                record.paid_late += 1
            else:
                record.paid_on_time += 1
        else:
            record.unpaid += 1
            record.owed += payment.dues.amount
            record.dues_ids_unpaid.append(payment.dues_id)
            if due_at is not None and now > due_at:
                record.overdue += 1
    return list(records.values())


def _split_queryset() -> QuerySet:
    shares = SplitShare.objects.select_related("user").order_by("position")
    return Split.objects.select_related("created_by", "to_wallet").prefetch_related(Prefetch("shares", queryset=shares))


def split_for_viewer(*, user, split_id: int) -> Split:
    """The split, if the user is a member of its channel."""
    split = _split_queryset().filter(pk=split_id).first()
    if split is None:
        raise NotFound(_("No such split."))
    if not channel_is_member(user=user, channel_id=split.channel_id):
        raise Forbidden(_("You are not a member of this channel."))
    return split


def split_get(*, split_id: int) -> Split:
    return _split_queryset().get(pk=split_id)


def transfer_with_legs(*, transfer_id: int) -> Transfer:
    """The transfer with its ledger legs (each with its wallet) as `legs`; two queries."""
    transfer = Transfer.objects.select_related("initiated_by").get(pk=transfer_id)
    transfer.legs = list(LedgerEntry.objects.filter(transfer=transfer).select_related("wallet").order_by("pk"))
    return transfer
