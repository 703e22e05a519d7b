"""Splitting a bill (정산, N빵): the member who paid asks named members of the channel for their
shares, which they pay through the one money path (wallets.services.movements)."""

from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_app.selectors import channel_for_member, channel_member_ids
from core.api.errors import DomainError, Forbidden
from core.web.locale import user_language
from wallets import notifications, selectors
from wallets.errors import AlreadyPaid
from wallets.locks import lock_split, lock_split_share
from wallets.models import Split, SplitShare, Transfer
from wallets.services.movements import Order, PaymentClaim, money_move
from wallets.services.reminders import reminder_send

MAX_MEMBERS = 100


def _invalid(field: str, detail: str) -> DomainError:
    return DomainError(detail, fields={field: [detail]})


def split_shares(*, total: int, members: list[int], shares: dict[int, int] | None = None) -> list[int]:
    """Each member's amount, in the members' order: equal, the won remainder to the first members;
    or the custom shares, which must name exactly the members and add up to the total."""
    if shares is None:
        if total < len(members):
            raise _invalid("total", _("The total is too small to give every member a share."))
        base, remainder = divmod(total, len(members))
        return [base + 1 if n < remainder else base for n in range(len(members))]
    if set(shares) != set(members):
        raise _invalid("shares", _("Give a share for each member, and only for them."))
    if any(amount <= 0 for amount in shares.values()):
        raise _invalid("shares", _("Every share must be more than zero."))
    if sum(shares.values()) != total:
        raise _invalid("shares", _("The shares must add up to the total."))
    return [shares[user_id] for user_id in members]


@transaction.atomic
def split_create(
    *, actor, channel_id: int, title: str, total: int, members: list[int], to_wallet_id: int, shares=None
) -> Split:
    """The payer's own share (when the money comes back to their personal wallet) is settled at once."""
    channel_for_member(user=actor, channel_id=channel_id)
    title = title.strip()
    if not title:
        raise _invalid("title", _("Say what the bill was for."))
    if not members or len(set(members)) != len(members) or len(members) > MAX_MEMBERS:
        raise _invalid("members", _("Name each member once (at most %(max)d).") % {"max": MAX_MEMBERS})
    if not set(members) <= set(channel_member_ids(channel_id=channel_id)):
        raise _invalid("members", _("Everyone in a split must be a member of the channel."))
    wallet = selectors.wallet_get(wallet_id=to_wallet_id)
    own = not wallet.is_group and wallet.owner_id == actor.pk
    if not own and wallet.channel_id != channel_id:
        raise _invalid("to_wallet", _("Choose your personal wallet or a group wallet of this channel."))
    amounts = split_shares(total=total, members=members, shares=shares)
    split = Split.objects.create(channel_id=channel_id, title=title, total=total, to_wallet=wallet, created_by=actor)
    now = timezone.now()
    SplitShare.objects.bulk_create(
        SplitShare(
            split=split,
            user_id=user_id,
            position=n,
            amount=amount,
            paid_at=now if own and user_id == actor.pk else None,
        )
        for n, (user_id, amount) in enumerate(zip(members, amounts, strict=True))
    )
    notifications.notify_split_requested(split_id=split.pk)
    return split


def split_pay(*, actor, split_id: int, pin: str) -> Transfer:
    """The member's share, from their personal wallet into the split's wallet; once."""
    split = selectors.split_for_viewer(user=actor, split_id=split_id)
    share = next((share for share in split.shares.all() if share.user_id == actor.pk), None)
    if share is None:
        raise Forbidden(_("You were not asked to pay a share of this bill."))
    if share.paid_at is not None:
        raise AlreadyPaid()
    source = selectors.wallet_personal(user=actor)
    if source is None:
        raise Forbidden(_("Open your personal wallet first."))
    order = Order(
        kind=Transfer.Kind.TRANSFER,
        actor=actor,
        amount=share.amount,
        source_id=source.pk,
        target_id=split.to_wallet_id,
        memo=split.title,
    )
    paid = partial(notifications.notify_split_paid, split_id=split.pk, payer=actor)
    return money_move(order=order, pin=pin, claim=PaymentClaim(share, lock=lock_split_share, paid=paid))


def split_remind(*, actor, split_id: int) -> int:
    """The member who asked reminds those who have not paid (an event and a chat mention); at most
    once an hour. Returns how many were reminded; nobody to remind does not use up the hour."""
    split = selectors.split_for_viewer(user=actor, split_id=split_id)
    if split.created_by_id != actor.pk:
        raise Forbidden(_("Only the member who asked can remind the others."))

    def unpaid() -> list[int]:
        members = set(channel_member_ids(channel_id=split.channel_id))
        return [share.user_id for share in split.shares.all() if share.paid_at is None and share.user_id in members]

    notify = partial(notifications.notify_split_reminder, split_id=split_id, language=user_language(actor))
    with transaction.atomic():
        return reminder_send(locked=lock_split(split_id), unpaid=unpaid, notify=notify)
