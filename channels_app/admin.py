from django.contrib import admin

from channels_app.models import Channel, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "is_private", "created_at")
    search_fields = ("name", "description", "owner__email")
    raw_id_fields = ("owner",)
    exclude = ("password_hash",)
    inlines = [MembershipInline]

    @admin.display(boolean=True)
    def is_private(self, channel):
        return channel.is_private
