"""Dues: requests to every member of a group wallet's channel, payments, reminders and recurring requests.

A 모임통장 asks everyone in the club: dues go to every member of the channel, whether or not they
joined the group wallet, and paying joins it. Whoever joins the channel while dues are still open
is asked too."""

from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from celery import current_app
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_app.selectors import channel_member_ids
from chat.models import PollOption
from chat.selectors import poll_for_member
from core.api.errors import Conflict, DomainError, Forbidden, NotFound
from core.web.locale import user_language, user_time_zone
from wallets import notifications, selectors
from wallets.locks import lock_dues, lock_dues_payment, lock_recurring_dues
from wallets.models import Dues, DuesPayment, GroupWalletMember, RecurringDues, Transfer, Wallet
from wallets.occurrences import next_occurrence
from wallets.services.movements import Order, PaymentClaim, money_move
from wallets.services.reminders import reminder_send

DUES_TITLE_CHARS = 200  # Dues.title's length
# A recurring period's request goes out this long before it is due (weekly: the day after the last one was due).
RECURRING_NOTICE = {RecurringDues.Repeat.WEEKLY: timedelta(days=6), RecurringDues.Repeat.MONTHLY: timedelta(days=7)}


def _end_of_day(day: date, time_zone: str) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(time_zone))


def _check_treasurer(*, actor, wallet: Wallet) -> None:
    if not wallet.is_group or wallet.owner_id != actor.pk:
        raise Forbidden(_("Only the treasurer of a group wallet can request dues."))


def _dues_request(
    *,
    wallet: Wallet,
    treasurer,
    title: str,
    amount: int,
    due_date: date | None,
    time_zone: str,
    recurring: RecurringDues | None = None,
    poll_option: PollOption | None = None,
    user_ids: list[int] | None = None,
) -> Dues:
    """Asks every member of the wallet's channel to pay (or the `user_ids` of a poll's option); the
    channel hears of it after commit."""
    dues = Dues.objects.create(
        wallet=wallet,
        title=title,
        amount=amount,
        due_date=due_date,
        due_at=_end_of_day(due_date, time_zone) if due_date else None,
        recurring=recurring,
        poll_option=poll_option,
        created_by=treasurer,
    )
    if user_ids is None:
        user_ids = channel_member_ids(channel_id=wallet.channel_id)
    DuesPayment.objects.bulk_create(DuesPayment(dues=dues, user_id=user_id) for user_id in user_ids)
    notifications.notify_dues_requested(dues_id=dues.pk, treasurer=treasurer)
    return dues


@transaction.atomic
def dues_create(*, actor, wallet_id: int, title: str, amount: int, due_date: date | None = None) -> Dues:
    wallet = selectors.wallet_get(wallet_id=wallet_id)
    _check_treasurer(actor=actor, wallet=wallet)
    return _dues_request(
        wallet=wallet,
        treasurer=actor,
        title=title,
        amount=amount,
        due_date=due_date,
        time_zone=user_time_zone(actor),
    )


@transaction.atomic
def poll_dues_create(*, actor, poll_id: int, wallet_id: int, amount: int, option_id: int) -> Dues:
    """The treasurer asks dues of the members who chose one option of a closed poll of the wallet's channel."""
    poll = poll_for_member(user=actor, poll_id=poll_id)
    wallet = selectors.wallet_get(wallet_id=wallet_id)
    _check_treasurer(actor=actor, wallet=wallet)
    if wallet.channel_id != poll.channel_id:
        detail = _("Choose a group wallet of the poll's channel.")
        raise DomainError(detail, fields={"wallet": [detail]})
    option = next((option for option in poll.options.all() if option.pk == option_id), None)
    if option is None:
        detail = _("Choose among this poll's options.")
        raise DomainError(detail, fields={"option": [detail]})
    if not poll.is_closed:
        raise Conflict(_("Close the poll first: its votes may still change."))
    members = set(channel_member_ids(channel_id=poll.channel_id))
    chose = sorted({vote.user_id for vote in poll.votes.all() if vote.option_id == option.pk} & members)
    if not chose:
        detail = _("Nobody in the channel chose this option.")
        raise DomainError(detail, fields={"option": [detail]})
    return _dues_request(
        wallet=wallet,
        treasurer=actor,
        title=f"{poll.question} · {option.text}"[:DUES_TITLE_CHARS],
        amount=amount,
        due_date=None,
        time_zone=user_time_zone(actor),
        poll_option=option,
        user_ids=chose,
    )


def _dues_paid(*, dues: Dues, payer, transfer: Transfer) -> None:
    # Paying into the club's wallet makes the payer one of its members (its news reaches them).
    GroupWalletMember.objects.get_or_create(wallet_id=dues.wallet_id, user=payer)
    notifications.notify_dues_paid(dues=dues, payer=payer, transfer=transfer)


def dues_ask_newcomer(*, channel_id: int, user) -> None:
    """Asks someone who just joined the channel for its group wallets' dues still open (no due
    date, or not yet past it). Runs inside the join's transaction (channels_app's member_joining).
    Dues from a poll's option ask those who chose it only, so nobody is added to them."""
    open_dues = Dues.objects.filter(wallet__channel_id=channel_id, poll_option__isnull=True).filter(
        Q(due_at__isnull=True) | Q(due_at__gt=timezone.now())
    )
    DuesPayment.objects.bulk_create(
        (DuesPayment(dues_id=dues_id, user=user) for dues_id in open_dues.values_list("pk", flat=True)),
        ignore_conflicts=True,
    )


def dues_pay(*, actor, dues_id: int, pin: str) -> Transfer:
    """From the payer's personal wallet into the group wallet; once per member."""
    dues = selectors.dues_for_viewer(user=actor, dues_id=dues_id)
    payment = DuesPayment.objects.filter(dues=dues, user=actor).first()
    if payment is None:
        raise Forbidden(_("You were not asked to pay these dues."))
    source = selectors.wallet_personal(user=actor)
    if source is None:
        raise Forbidden(_("Open your personal wallet first."))
    order = Order(
        kind=Transfer.Kind.DUES,
        actor=actor,
        amount=dues.amount,
        source_id=source.pk,
        target_id=dues.wallet_id,
        memo=dues.title,
    )
    paid = partial(_dues_paid, dues=dues, payer=actor)
    return money_move(order=order, pin=pin, claim=PaymentClaim(payment, lock=lock_dues_payment, paid=paid))


def dues_remind(*, actor, dues_id: int) -> int:
    """Reminds every member who has not paid and is still in the channel (an event and a chat
    mention); at most once an hour.

    Returns how many were reminded; nobody to remind does not use up the hour.
    """
    dues = selectors.dues_for_viewer(user=actor, dues_id=dues_id)
    if dues.wallet.owner_id != actor.pk:
        raise Forbidden(_("Only the treasurer can remind members to pay."))

    def unpaid() -> list[int]:
        return list(
            DuesPayment.objects.filter(
                dues_id=dues_id, transfer__isnull=True, user__channel_memberships__channel_id=dues.wallet.channel_id
            )
            .exclude(user=actor)
            .order_by("user__username", "pk")
            .values_list("user_id", flat=True)
        )

    # In the treasurer's language as this request has it (their setting, else their browser's).
    notify = partial(notifications.notify_dues_reminder, dues_id=dues_id, language=user_language(actor))
    with transaction.atomic():
        return reminder_send(locked=lock_dues(dues_id), unpaid=unpaid, notify=notify)


# --- recurring dues ------------------------------------------------------------------------


def _posting_time(*, due: date, repeat: str, time_zone: str) -> datetime:
    return datetime.combine(due - RECURRING_NOTICE[repeat], time.min, tzinfo=ZoneInfo(time_zone))


def recurring_dues_create(
    *, actor, wallet_id: int, title: str, amount: int, repeat: str, first_due: date
) -> RecurringDues:
    """Each period's request is posted by the beat a while before it is due (RECURRING_NOTICE)."""
    wallet = selectors.wallet_get(wallet_id=wallet_id)
    _check_treasurer(actor=actor, wallet=wallet)
    time_zone = user_time_zone(actor)
    if first_due < timezone.localdate(timezone=ZoneInfo(time_zone)):
        raise DomainError(
            _("The first due date cannot be in the past."), fields={"first_due": [_("Choose a later date.")]}
        )
    with transaction.atomic():
        recurring = RecurringDues.objects.create(
            wallet=wallet,
            title=title,
            amount=amount,
            repeat=repeat,
            first_due=first_due,
            next_due=first_due,
            next_run_at=_posting_time(due=first_due, repeat=repeat, time_zone=time_zone),
            time_zone=time_zone,
            created_by=actor,
        )
        # A first period that is already open is asked for now, by the same task as every later one.
        # Robust: with the broker away, the beat's next tick asks for it all the same.
        transaction.on_commit(_tick_recurring_dues, robust=True)
    return recurring


def _tick_recurring_dues() -> None:
    current_app.signature("wallets.enqueue_due_recurring_dues").delay()  # by name, as above


@transaction.atomic
def recurring_dues_cancel(*, actor, recurring_id: int) -> RecurringDues:
    recurring = lock_recurring_dues(recurring_id)
    if recurring is None or not selectors.wallet_can_view(user=actor, wallet=recurring.wallet):
        raise NotFound(_("Recurring dues not found."))
    _check_treasurer(actor=actor, wallet=recurring.wallet)
    recurring.status, recurring.next_run_at = RecurringDues.Status.CANCELLED, None
    recurring.save(update_fields=["status", "next_run_at"])
    return recurring


def recurring_dues_due(*, now: datetime | None = None) -> list[tuple[int, date]]:
    """(recurring dues id, due date) for every period whose request should be out by now."""
    return list(
        RecurringDues.objects.filter(status=RecurringDues.Status.ACTIVE, next_run_at__lte=now or timezone.now())
        .order_by("next_run_at", "pk")
        .values_list("pk", "next_due")
    )


def recurring_dues_run(*, recurring_id: int, due_date: date) -> Dues | None:
    """Posts one period's request, exactly once; None when it is not due (any more).

    Like a scheduled transfer's run: the recurring row is locked and must still expect this
    period, and the unique (recurring, due_date) row is the last guard. The wallet's treasurer
    of the day asks.
    """
    with transaction.atomic():
        recurring = lock_recurring_dues(recurring_id)
        if recurring is None or recurring.status != RecurringDues.Status.ACTIVE or recurring.next_due != due_date:
            return None
        wallet = recurring.wallet
        dues = _dues_request(
            wallet=wallet,
            treasurer=wallet.owner,
            title=recurring.title,
            amount=recurring.amount,
            due_date=due_date,
            time_zone=recurring.time_zone,
            recurring=recurring,
        )
        recurring.next_due = next_occurrence(repeat=recurring.repeat, previous=due_date, anchor=recurring.first_due)
        recurring.next_run_at = _posting_time(
            due=recurring.next_due, repeat=recurring.repeat, time_zone=recurring.time_zone
        )
        recurring.save(update_fields=["next_due", "next_run_at"])
    return dues
