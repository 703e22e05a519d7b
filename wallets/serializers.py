"""The contract's shapes of wallets, transfers, ledger entries and dues.

Shared by the REST API and the WebSocket events, so a client sees one shape for each.
"""

from rest_framework import serializers

from accounts.serializers import UserRefSerializer

MAX_AMOUNT = 10**15  # far above any real balance, far below BigInteger's limit


class MoneyField(serializers.IntegerField):
    """A positive whole number of minor units; a float or a numeric string is refused."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_AMOUNT, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class PinField(serializers.RegexField):
    def __init__(self, **kwargs):
        super().__init__(r"^[0-9]{4,6}$", max_length=6, trim_whitespace=False, **kwargs)
        self.error_messages["invalid"] = "A PIN is 4 to 6 digits."


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
    amount = serializers.IntegerField()
    memo = serializers.CharField()
    execute_at = serializers.DateTimeField()
    repeat = serializers.CharField()
    status = serializers.CharField()
    next_run_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()


class DuesMemberSerializer(serializers.Serializer):
    user = UserRefSerializer()
    paid = serializers.SerializerMethodField()
    transfer_id = serializers.IntegerField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)

    def get_paid(self, payment) -> bool:
        return payment.transfer_id is not None


class DuesOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    wallet = serializers.IntegerField(source="wallet_id")
    title = serializers.CharField()
    amount = serializers.IntegerField()
    currency = serializers.CharField(source="wallet.currency")
    due_date = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    member_count = serializers.SerializerMethodField()
    paid_count = serializers.SerializerMethodField()
    members = DuesMemberSerializer(source="payments", many=True)

    def get_member_count(self, dues) -> int:
        return len(dues.payments.all())

    def get_paid_count(self, dues) -> int:
        return sum(1 for payment in dues.payments.all() if payment.transfer_id is not None)
