"""Opening, creating, joining and handing over wallets."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_app.selectors import channel_for_member, channel_is_member, channel_membership_for_update
from core.api.errors import Conflict, DomainError, Forbidden, NotFound
from wallets import notifications, pins, selectors
from wallets.locks import lock_wallet_commitments
from wallets.models import ApprovalPolicy, ApprovalRequest, GroupWalletMember, ScheduledTransfer, Wallet
from wallets.services.movements import pin_guarded


def personal_wallet_open(*, owner, pin: str) -> Wallet:
    if not pins.PIN_PATTERN.match(pin):
        message = _("A PIN is 4 to 6 digits.")
        raise DomainError(message, fields={"pin": [message]})
    try:
        with transaction.atomic():
            return Wallet.objects.create(
                kind=Wallet.Kind.PERSONAL,
                owner=owner,
                name=_("%(username)s's wallet") % {"username": owner.username},
                pin_hash=pins.pin_hash(pin),
            )
    except IntegrityError:
        raise Conflict(_("You already have a personal wallet.")) from None


@transaction.atomic
def group_wallet_create(*, owner, channel_id: int, name: str, description: str = "") -> Wallet:
    """The creator becomes the wallet's treasurer and first member; the channel sees it appear."""
    channel = channel_for_member(user=owner, channel_id=channel_id)
    wallet = Wallet.objects.create(
        kind=Wallet.Kind.GROUP, owner=owner, channel=channel, name=name, description=description
    )
    GroupWalletMember.objects.create(wallet=wallet, user=owner)
    notifications.notify_group_wallet_created(wallet_id=wallet.pk)
    return wallet


def group_wallet_join(*, user, wallet: Wallet) -> Wallet:
    """Joining twice is fine."""
    if not wallet.is_group:
        raise DomainError(_("Only group wallets can be joined."))
    if not channel_is_member(user=user, channel_id=wallet.channel_id):
        raise Forbidden(_("Join the channel first."))
    GroupWalletMember.objects.get_or_create(wallet=wallet, user=user)
    return wallet


def group_wallets_forget_member(*, channel_id: int, user) -> None:
    """Someone leaving the channel leaves its group wallets: no longer counted, asked for new dues
    or told of the wallets' money. Dues they were asked for before keep their row (paid or not) as
    history; reminders go to the channel's members only (dues_remind)."""
    GroupWalletMember.objects.filter(wallet__channel_id=channel_id, user=user).delete()


def _check_handover(*, actor, wallet: Wallet, new_treasurer) -> None:
    if not wallet.is_group:
        raise DomainError(_("Only a group wallet has a treasurer to hand over."))
    if wallet.owner_id != actor.pk:
        raise Forbidden(_("Only the treasurer can hand the wallet over."))
    if new_treasurer.pk == actor.pk:
        raise DomainError(_("You already keep this wallet."), fields={"user_id": [_("Choose another member.")]})
    if ApprovalPolicy.objects.filter(wallet=wallet, approvers=new_treasurer).exists():
        raise Conflict(
            _("%(username)s approves this wallet's payments: take them off the approval policy first.")
            % {"username": new_treasurer.username}
        )


def group_wallet_hand_over(*, actor, wallet_id: int, new_treasurer_id: int, pin: str) -> Wallet:
    """The treasurer hands the group wallet to another member of its channel, with their PIN.

    What the old treasurer authorised with their PIN ends with their keeping: the wallet's active
    schedules and pending approval requests are cancelled (the new treasurer sets up their own).
    """
    wallet = selectors.wallet_get(wallet_id=wallet_id)
    new_treasurer = get_user_model().objects.filter(pk=new_treasurer_id, is_active=True).first()
    if new_treasurer is None:
        raise NotFound(_("No such member."))
    _check_handover(actor=actor, wallet=wallet, new_treasurer=new_treasurer)
    commitments: dict[str, list] = {}

    def lock_commitments() -> None:
        commitments["schedules"], commitments["requests"] = lock_wallet_commitments(wallet_id)

    def hand_over(wallets: dict[int, Wallet]) -> Wallet:
        locked = wallets[wallet_id]
        _check_handover(actor=actor, wallet=locked, new_treasurer=new_treasurer)
        # Locked, so a leave racing this handover either goes first (and is seen here) or waits and
        # then sees the new treasurer (channels_app.services.channel_leave).
        if channel_membership_for_update(user_id=new_treasurer.pk, channel_id=locked.channel_id) is None:
            raise DomainError(
                _("%(username)s is not a member of this channel.") % {"username": new_treasurer.username},
                fields={"user_id": [_("Choose a member of the channel.")]},
            )
        locked.owner = new_treasurer
        locked.save(update_fields=["owner"])
        GroupWalletMember.objects.get_or_create(wallet=locked, user=new_treasurer)
        now = timezone.now()
        schedule_ids = [schedule.pk for schedule in commitments["schedules"]]
        request_ids = [request.pk for request in commitments["requests"]]
        ScheduledTransfer.objects.filter(pk__in=schedule_ids).update(
            status=ScheduledTransfer.Status.CANCELLED, next_run_at=None
        )
        ApprovalRequest.objects.filter(pk__in=request_ids).update(
            status=ApprovalRequest.Status.CANCELLED, decided_by=actor, decided_at=now
        )
        notifications.notify_treasurer_changed(
            wallet_id=wallet_id,
            previous=actor,
            cancelled_schedules=len(schedule_ids),
            cancelled_requests=request_ids,
        )
        return locked

    pin_guarded(user=actor, pin=pin, wallet_ids=[wallet_id], first=lock_commitments, work=hand_over)
    return selectors.wallet_for_viewer(user=actor, wallet_id=wallet_id)
