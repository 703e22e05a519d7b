from django.contrib import admin

from channels_app.models import Channel, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


class PrivacyFilter(admin.SimpleListFilter):
    title = "privacy"
    parameter_name = "private"

    def lookups(self, request, model_admin):
        return [("yes", "Private (password)"), ("no", "Public")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(password_hash="")
        if self.value() == "no":
            return queryset.filter(password_hash="")
        return queryset


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "is_private", "created_at")
    list_filter = (PrivacyFilter,)
    list_select_related = ("owner",)
    search_fields = ("name", "description", "owner__email", "owner__username")
    raw_id_fields = ("owner",)
    # The password is set through the API (hashed by channels_app.passwords); here only whether there is one.
    exclude = ("password_hash",)
    readonly_fields = ("is_private",)
    inlines = [MembershipInline]

    @admin.display(boolean=True)
    def is_private(self, channel):
        return channel.is_private
