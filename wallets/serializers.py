"""The contract's shapes of wallets, transfers, ledger entries and dues.

Shared by the REST API and the WebSocket events, so a client sees one shape for each.
"""

import re
from datetime import timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserRefSerializer
from core.web.formats import money
from wallets import pins

MAX_AMOUNT = 10**15  # far above any real balance, far below BigInteger's limit


def _amount_words(text: str, amount: int) -> str:
    return gettext(text) % {"amount": money(amount)}


# Said as money in the reader's language when the error is rendered ("최대 1,000,000,000,000,000원"),
# not as DRF's bare number.
_money_message = lazy(_amount_words, str)


class MoneyField(serializers.IntegerField):
    """A positive whole number of minor units; a float or a numeric string is refused."""

    default_error_messages = {
        "min_value": _money_message(gettext_noop("At least %(amount)s."), 1),
        "max_value": _money_message(gettext_noop("At most %(amount)s."), MAX_AMOUNT),
    }

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_AMOUNT, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


SHARE_KEY = r"^[1-9][0-9]{0,17}$"


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": 1, "maximum": MAX_AMOUNT},
        "description": "{user id: amount}: each key a member's id in digits",
    }
)
class SharesField(serializers.DictField):
    """{user id: amount} with the ids as JSON has them (strings of digits), read as integers."""

    def __init__(self, **kwargs):
        super().__init__(child=MoneyField(), **kwargs)

    def to_internal_value(self, data):
        shares = super().to_internal_value(data)
        if not all(isinstance(key, str) and re.fullmatch(SHARE_KEY, key) for key in shares):
            raise serializers.ValidationError(_("Key each share by a member's id."))
        return {int(key): amount for key, amount in shares.items()}


# Money is planned months or a few years ahead; a date beyond this is a typo (and year 9999 leaves
# no room for the day after, which a due date's deadline and a schedule's next run need).
PLANNING_HORIZON = timedelta(days=3653)


class PlannedDateField(serializers.DateField):
    """A due date: at most ten years ahead."""

    default_error_messages = {"too_far": _("At most ten years ahead.")}

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if day > timezone.localdate() + PLANNING_HORIZON:
            self.fail("too_far")
        return day


class PlannedDateTimeField(serializers.DateTimeField):
    """When money moves: a time with its time zone (the contract's times all have one; a bare time
    would be read in the server's zone, not the person's), at most ten years ahead."""

    default_error_messages = {
        "naive": _("Give the time with its time zone, for example 2027-01-31T08:00:00+09:00."),
        "too_far": _("At most ten years ahead."),
    }

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)  # refuses what is no time at all (an offset of 25 hours too)
        if isinstance(value, str) and (parsed := parse_datetime(value.strip())) and timezone.is_naive(parsed):
            self.fail("naive")
        if moment > timezone.now() + PLANNING_HORIZON:
            self.fail("too_far")
        return moment


class PinField(serializers.RegexField):
    def __init__(self, **kwargs):
        # Given before the field builds its pattern's validator, which takes this message.
        kwargs.setdefault("error_messages", {"invalid": _("A PIN is 4 to 6 digits.")})
        super().__init__(pins.PIN_PATTERN, max_length=6, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):  # 1234 as a number: a PIN is its digits (0123 is not 123)
            self.fail("invalid")
        return super().to_internal_value(data)


class WalletOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    balance = serializers.IntegerField()
    currency = serializers.CharField()
    owner = UserRefSerializer()
    # Group wallets only: a personal wallet's body has neither.
    channel = serializers.IntegerField(source="channel_id", required=False)
    member_count = serializers.IntegerField(required=False)
    created_at = serializers.DateTimeField()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.kind == "personal":
            data.pop("channel")
            data.pop("member_count", None)
        return data


class TransferOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    from_wallet = serializers.IntegerField(source="from_wallet_id", allow_null=True)
    to_wallet = serializers.IntegerField(source="to_wallet_id", allow_null=True)
    amount = serializers.IntegerField()
    memo = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class CounterpartySerializer(serializers.Serializer):
    wallet = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    kind = serializers.CharField()
    owner = UserRefSerializer()


class EntryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    transfer_id = serializers.IntegerField()
    amount = serializers.IntegerField()
    balance_after = serializers.IntegerField()
    kind = serializers.CharField(source="transfer.kind")
    counterparty = serializers.SerializerMethodField()
    memo = serializers.CharField(source="transfer.memo")
    created_at = serializers.DateTimeField()

    @extend_schema_field(CounterpartySerializer(allow_null=True))  # the document types it; a hint of `dict` did not
    def get_counterparty(self, entry) -> dict | None:
        transfer = entry.transfer
        other = transfer.to_wallet if entry.amount < 0 else transfer.from_wallet
        return CounterpartySerializer(other).data if other else None


class ScheduledTransferOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    # Seen from the wallet whose list it is in; a schedule just created is seen from its source.
    direction = serializers.ChoiceField(choices=["outgoing", "incoming"], default="outgoing")
    sender = UserRefSerializer(source="created_by")
    from_wallet = serializers.IntegerField(source="from_wallet_id")
    to_wallet = serializers.IntegerField(source="to_wallet_id")
    recipient = CounterpartySerializer(source="to_wallet", help_text="the wallet it goes to, to name it by")
    amount = serializers.IntegerField()
    memo = serializers.CharField()
    execute_at = serializers.DateTimeField()
    repeat = serializers.CharField()
    time_zone = serializers.CharField(help_text="The calendar its repeats follow: the scheduler's time zone.")
    status = serializers.CharField()
    next_run_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()


class DuesMemberSerializer(serializers.Serializer):
    user = UserRefSerializer()
    paid = serializers.SerializerMethodField()
    transfer_id = serializers.IntegerField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    # "paid_on_time", "paid_late", "unpaid" or "overdue" (unpaid past the end of the due date).
    standing = serializers.SerializerMethodField()

    def get_paid(self, payment) -> bool:
        return payment.transfer_id is not None

    def get_standing(self, payment) -> str:
        due_at = payment.dues.due_at
        if payment.transfer_id is not None:
            return "paid_late" if due_at is not None and payment.paid_at > due_at else "paid_on_time"
        return "overdue" if due_at is not None and timezone.now() > due_at else "unpaid"


class DuesOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    wallet = serializers.IntegerField(source="wallet_id")
    treasurer = UserRefSerializer(source="wallet.owner")  # who may remind: the card in the chat offers it
    title = serializers.CharField()
    amount = serializers.IntegerField()
    currency = serializers.CharField(source="wallet.currency")
    due_date = serializers.DateField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    recurring = serializers.IntegerField(source="recurring_id", allow_null=True)
    poll_option = serializers.IntegerField(
        source="poll_option_id", allow_null=True, help_text="asked of those who chose this poll option"
    )
    last_reminded_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    member_count = serializers.SerializerMethodField()
    paid_count = serializers.SerializerMethodField()
    members = DuesMemberSerializer(source="payments", many=True)

    def get_member_count(self, dues) -> int:
        return len(dues.payments.all())

    def get_paid_count(self, dues) -> int:
        return sum(1 for payment in dues.payments.all() if payment.transfer_id is not None)


class RecurringDuesOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    wallet = serializers.IntegerField(source="wallet_id")
    title = serializers.CharField()
    amount = serializers.IntegerField()
    repeat = serializers.CharField()
    first_due = serializers.DateField()
    next_due = serializers.DateField(allow_null=True)
    next_run_at = serializers.DateTimeField(allow_null=True)
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class MemberDuesRecordSerializer(serializers.Serializer):
    user = UserRefSerializer()
    paid_on_time = serializers.IntegerField()
    paid_late = serializers.IntegerField()
    unpaid = serializers.IntegerField()
    overdue = serializers.IntegerField()
    owed = serializers.IntegerField()


class WalletLookupOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    owner = UserRefSerializer()


class RecipientOutputSerializer(serializers.Serializer):
    user = UserRefSerializer(source="owner")
    wallet = WalletLookupOutputSerializer(source="*")


class ApprovalPolicyOutputSerializer(serializers.Serializer):
    wallet = serializers.IntegerField(source="wallet_id")
    threshold = serializers.IntegerField()
    window = serializers.CharField()
    required = serializers.IntegerField()
    approvers = UserRefSerializer(many=True, source="approvers.all")
    updated_at = serializers.DateTimeField()


class PendingTransferSerializer(serializers.Serializer):
    """What an approval request would move, before it is a Transfer."""

    kind = serializers.CharField()
    from_wallet = WalletLookupOutputSerializer()
    to_wallet = WalletLookupOutputSerializer(allow_null=True)
    amount = serializers.IntegerField()
    currency = serializers.CharField(source="from_wallet.currency")
    memo = serializers.CharField()
    requested_by = UserRefSerializer()
    created_at = serializers.DateTimeField()


class ApprovalRequestOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    transfer = PendingTransferSerializer(source="*")
    approvals = serializers.SerializerMethodField()
    approvers = UserRefSerializer(many=True, source="rule.approvers.all")
    required = serializers.IntegerField(source="rule.required")
    transfer_id = serializers.IntegerField(allow_null=True)
    decided_by = UserRefSerializer(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_approvals(self, request) -> list[int]:
        return sorted(approval.user_id for approval in request.approvals.all())


class SplitMemberSerializer(serializers.Serializer):
    user = UserRefSerializer()
    amount = serializers.IntegerField()
    paid = serializers.SerializerMethodField()
    transfer_id = serializers.IntegerField(allow_null=True, help_text="null for the payer's own share")
    paid_at = serializers.DateTimeField(allow_null=True)

    def get_paid(self, share) -> bool:
        return share.paid_at is not None


class SplitOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    channel = serializers.IntegerField(source="channel_id")
    title = serializers.CharField()
    total = serializers.IntegerField()
    currency = serializers.CharField(source="to_wallet.currency")
    to_wallet = serializers.IntegerField(source="to_wallet_id")
    created_by = UserRefSerializer()
    created_at = serializers.DateTimeField()
    last_reminded_at = serializers.DateTimeField(allow_null=True)
    paid_count = serializers.SerializerMethodField()
    members = SplitMemberSerializer(source="shares", many=True)

    def get_paid_count(self, split) -> int:
        return sum(1 for share in split.shares.all() if share.paid_at is not None)
