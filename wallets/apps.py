from django.apps import AppConfig


class WalletsConfig(AppConfig):
    name = "wallets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from channels_app import signals
        from wallets import metrics, receivers

        signals.member_leaving.connect(receivers.refuse_a_treasurer_leaving, dispatch_uid="wallets.treasurer_stays")
        signals.member_leaving.connect(
            receivers.leave_the_channels_group_wallets, dispatch_uid="wallets.leavers_leave_group_wallets"
        )
        metrics.start_alerted_series_at_zero()
        signals.member_joining.connect(receivers.ask_a_newcomer_for_open_dues, dispatch_uid="wallets.newcomers_asked")
