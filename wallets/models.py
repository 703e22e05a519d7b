"""Wallets and their double-entry ledger.

Money is an integer of minor units (KRW has none) in BigIntegerFields, never a float.
Every money movement is one Transfer with exactly two LedgerEntry rows that sum to zero;
deposits and withdrawals post their other leg to the external account (wallet=None).
A wallet's cached balance always equals the sum of its entries (manage.py check_ledger).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Wallet(models.Model):
    class Kind(models.TextChoices):
        PERSONAL = "personal"
        GROUP = "group"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=1000, blank=True, default="")
    # A personal wallet's owner, or a group wallet's treasurer.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_wallets")
    channel = models.ForeignKey(
        "channels_app.Channel", on_delete=models.PROTECT, null=True, blank=True, related_name="group_wallets"
    )
    balance = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="KRW")
    # Personal wallets only: the PIN that moves money out of it and out of the group
    # wallets its owner keeps. Five wrong PINs lock outgoing money until pin_locked_until.
    pin_hash = models.CharField(max_length=256, blank=True, default="")
    failed_pin_attempts = models.PositiveSmallIntegerField(default=0)
    pin_locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="wallets_wallet_balance_not_negative"),
            models.UniqueConstraint(
                fields=["owner"], condition=Q(kind="personal"), name="wallets_wallet_one_personal_per_user"
            ),
            models.CheckConstraint(
                condition=Q(kind="personal", channel__isnull=True) | Q(kind="group", channel__isnull=False),
                name="wallets_wallet_group_has_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (#{self.pk})"

    @property
    def is_group(self) -> bool:
        return self.kind == self.Kind.GROUP


class GroupWalletMember(models.Model):
    wallet = models.ForeignKey(Wallet, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_wallet_memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["wallet", "user"], name="wallets_member_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} in wallet {self.wallet_id}"


class Transfer(models.Model):
    class Kind(models.TextChoices):
        TRANSFER = "transfer"
        DEPOSIT = "deposit"
        WITHDRAW = "withdraw"
        SCHEDULED = "scheduled"
        DUES = "dues"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # None is the outside world: a deposit has no source, a withdrawal no target.
    from_wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    amount = models.BigIntegerField()
    memo = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=16, default="completed")
    initiated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # What left a wallet lately (the approval window), read under the wallet's lock.
        indexes = [models.Index(fields=["from_wallet", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="wallets_transfer_amount_positive"),
            models.CheckConstraint(
                condition=Q(from_wallet__isnull=False) | Q(to_wallet__isnull=False),
                name="wallets_transfer_has_a_wallet",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}: {self.amount}"


class LedgerEntry(models.Model):
    """One leg of a transfer. Immutable: written once, never updated or deleted."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="entries")
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, null=True, blank=True, related_name="entries")
    amount = models.BigIntegerField()  # signed: + into the wallet, - out of it
    balance_after = models.BigIntegerField(null=True, blank=True)  # None for the external account
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["wallet", "-id"])]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="wallets_entry_amount_not_zero")]

    def __str__(self) -> str:
        return f"{self.amount:+} on wallet {self.wallet_id} (transfer {self.transfer_id})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Ledger entries are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ledger entries are immutable.")


class IdempotencyRecord(models.Model):
    """The first response to a request carrying an Idempotency-Key (Stripe semantics)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path and body
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.TextField(blank=True, default="")  # JSON text, replayed byte for byte
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="wallets_idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.key}"


class ScheduledTransfer(models.Model):
    class Repeat(models.TextChoices):
        NONE = "none"
        DAILY = "daily"
        WEEKLY = "weekly"
        MONTHLY = "monthly"

    class Status(models.TextChoices):
        ACTIVE = "active"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    from_wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="scheduled_out")
    to_wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="scheduled_in")
    amount = models.BigIntegerField()
    memo = models.CharField(max_length=200, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    execute_at = models.DateTimeField()
    repeat = models.CharField(max_length=8, choices=Repeat.choices, default=Repeat.NONE)
    # The scheduler's zone when it was made: "monthly on the 31st at 08:00" is on their calendar.
    time_zone = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_run_at"])]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="wallets_scheduled_amount_positive")]

    def __str__(self) -> str:
        return f"scheduled #{self.pk}: {self.amount} {self.repeat}"


class ScheduledTransferRun(models.Model):
    """One occurrence of a schedule. Unique per (schedule, run_at): an occurrence never pays twice."""

    class Status(models.TextChoices):
        OK = "ok"
        FAILED = "failed"
        # Above the group wallet's approval threshold: the occurrence waits for its approvals.
        PENDING_APPROVAL = "pending_approval"

    schedule = models.ForeignKey(ScheduledTransfer, on_delete=models.CASCADE, related_name="runs")
    run_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices)
    error = models.CharField(max_length=200, blank=True, default="")
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    approval = models.ForeignKey(
        "ApprovalRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="scheduled_runs"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["schedule", "run_at"], name="wallets_run_unique_occurrence")]

    def __str__(self) -> str:
        return f"schedule {self.schedule_id} at {self.run_at}: {self.status}"


class RecurringDues(models.Model):
    """Dues asked for automatically every week or month (each period's request made once by the beat)."""

    class Repeat(models.TextChoices):
        WEEKLY = "weekly"
        MONTHLY = "monthly"

    class Status(models.TextChoices):
        ACTIVE = "active"
        CANCELLED = "cancelled"

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="recurring_dues")
    title = models.CharField(max_length=200)
    amount = models.BigIntegerField()
    repeat = models.CharField(max_length=8, choices=Repeat.choices)
    first_due = models.DateField()
    # The due date of the next request, and when that request is posted (a while before it is due).
    next_due = models.DateField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    # Where the club lives: due dates end and requests go out at midnight there.
    time_zone = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "recurring dues"
        indexes = [models.Index(fields=["status", "next_run_at"])]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="wallets_recurring_amount_positive")]

    def __str__(self) -> str:
        return f"{self.title} ({self.repeat})"


class Dues(models.Model):
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="dues")
    title = models.CharField(max_length=200)
    amount = models.BigIntegerField()
    due_date = models.DateField(null=True, blank=True)
    # The end of due_date in the treasurer's time zone: a payment after it is late.
    due_at = models.DateTimeField(null=True, blank=True)
    # The request of one period of a recurring dues; unique per period, so a period is asked for once.
    recurring = models.ForeignKey(
        RecurringDues, on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    # Asked of those who chose this option of a poll ("going" to the hike), not of every member.
    poll_option = models.ForeignKey(
        "chat.PollOption", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "dues"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="wallets_dues_amount_positive"),
            models.UniqueConstraint(
                fields=["recurring", "due_date"],
                condition=Q(recurring__isnull=False),
                name="wallets_dues_one_request_per_period",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class DuesPayment(models.Model):
    """A member asked to pay; transfer is set once they have paid."""

    dues = models.ForeignKey(Dues, on_delete=models.CASCADE, related_name="payments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    transfer = models.OneToOneField(Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dues", "user"], name="wallets_dues_payment_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} for dues {self.dues_id}"


class ApprovalPolicy(models.Model):
    """A group wallet's two-person rule: money out above `threshold` needs `required` approvals.

    The threshold counts over a window: a transfer needs approval when it, plus what already left
    the wallet without approval in the window, passes it (so splitting a sum does not evade it)."""

    class Window(models.TextChoices):
        TRANSFER = "transfer"  # each transfer on its own
        DAY = "day"  # the last 24 hours
        WEEK = "week"  # the last 7 days

    wallet = models.OneToOneField(Wallet, on_delete=models.CASCADE, related_name="approval_policy")
    threshold = models.BigIntegerField()
    window = models.CharField(max_length=8, choices=Window.choices, default=Window.DAY)
    required = models.PositiveSmallIntegerField()
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "approval policies"
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gte=0), name="wallets_policy_threshold_not_negative"),
            models.CheckConstraint(condition=Q(required__gte=1), name="wallets_policy_requires_one"),
        ]

    def __str__(self) -> str:
        return f"wallet {self.wallet_id}: {self.required} approvals above {self.threshold}"


class ApprovalRequest(models.Model):
    """Money out of a group wallet waiting for approvals; it moves (once) with the last one."""

    class Status(models.TextChoices):
        PENDING = "pending_approval"
        COMPLETED = "completed"
        REJECTED = "rejected"
        CANCELLED = "cancelled"  # the treasurer who asked handed the wallet over

    kind = models.CharField(max_length=16, choices=Transfer.Kind.choices)
    from_wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="approval_requests")
    to_wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    amount = models.BigIntegerField()
    memo = models.CharField(max_length=200, blank=True, default="")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The policy as it was when asked, and as it stood when decided: see `rule`.
    required = models.PositiveSmallIntegerField()
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    transfer = models.OneToOneField(Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["status", "from_wallet"])]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="wallets_approval_amount_positive")]

    def __str__(self) -> str:
        return f"approval #{self.pk}: {self.amount} ({self.status})"

    @property
    def rule(self) -> "ApprovalPolicy | ApprovalRequest":
        """Who approves and how many must (its `approvers` and `required`). While the request waits,
        the wallet's policy in force: approvers taken off it can no longer approve, new ones can.
        Once decided, or if the policy was removed, the request's own record."""
        if self.status == self.Status.PENDING:
            try:
                return self.from_wallet.approval_policy
            except ApprovalPolicy.DoesNotExist:
                pass
        return self


class Approval(models.Model):
    """One approver's yes; unique, so nobody counts twice."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="approvals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "user"], name="wallets_approval_once")]

    def __str__(self) -> str:
        return f"{self.user_id} approved {self.request_id}"


class Split(models.Model):
    """A bill split (정산): the member who paid asks named members of the channel for their shares."""

    channel = models.ForeignKey("channels_app.Channel", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    total = models.BigIntegerField()
    to_wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(total__gt=0), name="wallets_split_total_positive")]

    def __str__(self) -> str:
        return self.title


class SplitShare(models.Model):
    """One member's share; paid once (its transfer), or settled at once when it is the payer's own."""

    split = models.ForeignKey(Split, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    amount = models.BigIntegerField()
    transfer = models.OneToOneField(Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["split", "user"], name="wallets_splitshare_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="wallets_splitshare_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.amount}"
