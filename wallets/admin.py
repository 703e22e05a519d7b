from django.contrib import admin

from wallets.models import (
    Approval,
    ApprovalPolicy,
    ApprovalRequest,
    Dues,
    DuesPayment,
    GroupWalletMember,
    LedgerEntry,
    RecurringDues,
    ScheduledTransfer,
    ScheduledTransferRun,
    Transfer,
    Wallet,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money history is changed only by the services, never by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class GroupWalletMemberInline(admin.TabularInline):
    model = GroupWalletMember
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "kind", "owner", "channel", "balance", "currency", "created_at")
    list_filter = ("kind", "currency")
    search_fields = ("=id", "name", "owner__email", "owner__username", "channel__name")
    # The balance moves only through transfers; the PIN only through its owner.
    readonly_fields = ("balance", "pin_hash", "failed_pin_attempts", "created_at")
    raw_id_fields = ("owner", "channel")
    inlines = [GroupWalletMemberInline]


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "from_wallet", "to_wallet", "amount", "status", "initiated_by", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("=id", "memo", "from_wallet__name", "to_wallet__name", "initiated_by__email")
    date_hierarchy = "created_at"


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "transfer", "wallet", "amount", "balance_after", "created_at")
    search_fields = ("=transfer__id", "wallet__name")


class ScheduledTransferRunInline(admin.TabularInline):
    model = ScheduledTransferRun
    extra = 0
    can_delete = False
    readonly_fields = ("run_at", "status", "error", "transfer", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ScheduledTransfer)
class ScheduledTransferAdmin(admin.ModelAdmin):
    list_display = ("id", "from_wallet", "to_wallet", "amount", "repeat", "status", "next_run_at", "last_error")
    list_filter = ("status", "repeat")
    search_fields = ("=id", "memo", "from_wallet__name", "to_wallet__name", "created_by__email")
    readonly_fields = ("from_wallet", "to_wallet", "amount", "created_by", "last_error", "created_at")
    inlines = [ScheduledTransferRunInline]


class DuesPaymentInline(admin.TabularInline):
    model = DuesPayment
    extra = 0
    can_delete = False
    readonly_fields = ("user", "transfer", "paid_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Dues)
class DuesAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "wallet", "amount", "due_date", "created_at")
    search_fields = ("title", "wallet__name")
    readonly_fields = ("wallet", "amount", "created_by", "created_at")
    inlines = [DuesPaymentInline]


@admin.register(RecurringDues)
class RecurringDuesAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "wallet", "amount", "repeat", "next_due", "status")
    list_filter = ("status", "repeat")
    search_fields = ("title", "wallet__name")
    readonly_fields = ("wallet", "amount", "created_by", "next_due", "next_run_at", "created_at")


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(admin.ModelAdmin):
    """Read-only: the treasurer changes a policy in the product, where the channel is told of it."""

    list_display = ("wallet", "threshold", "required", "updated_by", "updated_at")
    search_fields = ("wallet__name",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ApprovalInline(admin.TabularInline):
    model = Approval
    extra = 0
    can_delete = False
    readonly_fields = ("user", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdmin):
    """An approval releases money: only the services decide one."""

    list_display = ("id", "kind", "from_wallet", "to_wallet", "amount", "status", "requested_by", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("=id", "memo", "from_wallet__name", "requested_by__email")
    inlines = [ApprovalInline]
