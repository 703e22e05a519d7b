"""Wallet reads, each with its access rule.

A personal wallet is seen only by its owner. A group wallet is seen by the members of its
channel (they may join it); people who left the channel no longer see it.
"""

from django.db.models import Case, Count, Prefetch, Q, QuerySet, Value, When

from channels_app.selectors import channel_is_member
from config.errors import Forbidden, NotFound
from wallets.models import Dues, DuesPayment, GroupWalletMember, LedgerEntry, ScheduledTransfer, Wallet


def _with_member_count(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("owner").annotate(member_count=Count("members"))


def wallet_get(*, wallet_id: int) -> Wallet:
    wallet = Wallet.objects.select_related("owner").filter(pk=wallet_id).first()
    if wallet is None:
        raise NotFound("Wallet not found.")
    return wallet


def wallet_can_view(*, user, wallet: Wallet) -> bool:
    if wallet.is_group:
        return channel_is_member(user=user, channel_id=wallet.channel_id)
    return wallet.owner_id == user.pk


def wallet_for_viewer(*, user, wallet_id: int) -> Wallet:
    """The wallet with its member count, if the user may see it."""
    wallet = _with_member_count(Wallet.objects.filter(pk=wallet_id)).first()
    if wallet is None:
        raise NotFound("Wallet not found.")
    if not wallet_can_view(user=user, wallet=wallet):
        raise Forbidden("You cannot see this wallet.")
    return wallet


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
        .select_related("from_wallet", "to_wallet", "created_by")
        .order_by("-pk")
    )


def _dues_queryset() -> QuerySet:
    payments = DuesPayment.objects.select_related("user").order_by("user__username", "pk")
    return Dues.objects.select_related("wallet").prefetch_related(Prefetch("payments", queryset=payments))


def dues_for_viewer(*, user, dues_id: int) -> Dues:
    dues = _dues_queryset().filter(pk=dues_id).first()
    if dues is None:
        raise NotFound("Dues not found.")
    if not wallet_can_view(user=user, wallet=dues.wallet):
        raise Forbidden("You cannot see these dues.")
    return dues


def dues_get(*, dues_id: int) -> Dues:
    return _dues_queryset().get(pk=dues_id)


def dues_list(*, wallet: Wallet) -> list[Dues]:
    return list(_dues_queryset().filter(wallet=wallet).order_by("-pk"))
