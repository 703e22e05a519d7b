from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.web.locale import user_time_zone
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


def amount_column(field: str, label):
    """Won with thousands separators: 1,250,000, not 1250000."""

    @admin.display(description=label, ordering=field)
    def column(obj):
        value = getattr(obj, field)
        return "-" if value is None else f"{value:,}"

    return column


def time_column(field: str, label):
    """A time with its zone named (2026-12-07 09:54:20 KST): a bare time reads as local when it is UTC."""

    @admin.display(description=label, ordering=field)
    def column(obj):
        value = getattr(obj, field)
        return "-" if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S %Z")

    return column


class MoneyAdmin(admin.ModelAdmin):
    """Pages drawn in the staff member's own time zone (the columns above name it)."""

    def changelist_view(self, request, extra_context=None):
        with timezone.override(user_time_zone(request.user)):
            return _rendered(super().changelist_view(request, extra_context))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        with timezone.override(user_time_zone(request.user)):
            return _rendered(super().change_view(request, object_id, form_url, extra_context))


def _rendered(response):
    # A TemplateResponse renders after the view returns, outside the time zone: render it inside.
    return response.render() if hasattr(response, "render") else response


class ReadOnlyAdmin(MoneyAdmin):
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
class WalletAdmin(MoneyAdmin):
    list_display = (
        "id",
        "name",
        "kind",
        "owner",
        "channel",
        amount_column("balance", _("balance")),
        "currency",
        time_column("created_at", _("created")),
    )
    list_filter = ("kind", "currency")
    search_fields = ("=id", "name", "owner__email", "owner__username", "channel__name")
    # The balance moves only through transfers; the PIN only through its owner.
    readonly_fields = ("balance", "pin_hash", "failed_pin_attempts", "created_at")
    raw_id_fields = ("owner", "channel")
    inlines = [GroupWalletMemberInline]


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "from_wallet",
        "to_wallet",
        amount_column("amount", _("amount")),
        "status",
        "initiated_by",
        time_column("created_at", _("created")),
    )
    list_filter = ("kind", "status")
    search_fields = ("=id", "memo", "from_wallet__name", "to_wallet__name", "initiated_by__email")
    date_hierarchy = "created_at"


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "transfer",
        "wallet",
        amount_column("amount", _("amount")),
        amount_column("balance_after", _("balance after")),
        time_column("created_at", _("created")),
    )
    search_fields = ("=transfer__id", "wallet__name")


class ScheduledTransferRunInline(admin.TabularInline):
    model = ScheduledTransferRun
    extra = 0
    can_delete = False
    readonly_fields = ("run_at", "status", "error", "transfer", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ScheduledTransfer)
class ScheduledTransferAdmin(MoneyAdmin):
    list_display = (
        "id",
        "from_wallet",
        "to_wallet",
        amount_column("amount", _("amount")),
        "repeat",
        "status",
        time_column("next_run_at", _("next run")),
        "last_error",
    )
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
class DuesAdmin(MoneyAdmin):
    list_display = (
        "id",
        "title",
        "wallet",
        amount_column("amount", _("amount")),
        "due_date",
        time_column("created_at", _("created")),
    )
    search_fields = ("title", "wallet__name")
    readonly_fields = ("wallet", "amount", "created_by", "created_at")
    inlines = [DuesPaymentInline]


@admin.register(RecurringDues)
class RecurringDuesAdmin(MoneyAdmin):
    list_display = ("id", "title", "wallet", amount_column("amount", _("amount")), "repeat", "next_due", "status")
    list_filter = ("status", "repeat")
    search_fields = ("title", "wallet__name")
    readonly_fields = ("wallet", "amount", "created_by", "next_due", "next_run_at", "created_at")


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(MoneyAdmin):
    """Read-only: the treasurer changes a policy in the product, where the channel is told of it."""

    list_display = (
        "wallet",
        amount_column("threshold", _("threshold")),
        "required",
        "updated_by",
        time_column("updated_at", _("updated")),
    )
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

    list_display = (
        "id",
        "kind",
        "from_wallet",
        "to_wallet",
        amount_column("amount", _("amount")),
        "status",
        "requested_by",
        time_column("created_at", _("created")),
    )
    list_filter = ("status", "kind")
    search_fields = ("=id", "memo", "from_wallet__name", "requested_by__email")
    inlines = [ApprovalInline]
