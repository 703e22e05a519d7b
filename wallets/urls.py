from django.urls import path

from wallets import api

urlpatterns = [
    path("api/wallets", api.PersonalWalletOpenApi.as_view(), name="api-wallets"),
    path("api/wallets/me", api.PersonalWalletApi.as_view(), name="api-wallet-me"),
    path("api/wallets/mine", api.MyWalletsApi.as_view(), name="api-wallets-mine"),
    path("api/wallets/<id:wallet_id>", api.WalletDetailApi.as_view(), name="api-wallet"),
    path("api/wallets/<id:wallet_id>/deposit", api.WalletDepositApi.as_view(), name="api-wallet-deposit"),
    path("api/wallets/<id:wallet_id>/withdraw", api.WalletWithdrawApi.as_view(), name="api-wallet-withdraw"),
    path(
        "api/wallets/<id:wallet_id>/transactions", api.WalletTransactionsApi.as_view(), name="api-wallet-transactions"
    ),
    path("api/wallets/<id:wallet_id>/export.csv", api.WalletExportApi.as_view(), name="api-wallet-export"),
    path("api/wallets/<id:wallet_id>/join", api.WalletJoinApi.as_view(), name="api-wallet-join"),
    path("api/wallets/<id:wallet_id>/members", api.WalletMembersApi.as_view(), name="api-wallet-members"),
    path(
        "api/wallets/<id:wallet_id>/scheduled-transfers",
        api.WalletScheduledTransfersApi.as_view(),
        name="api-wallet-scheduled-transfers",
    ),
    path("api/wallets/<id:wallet_id>/dues", api.WalletDuesApi.as_view(), name="api-wallet-dues"),
    path(
        "api/channels/<id:channel_id>/group-wallets",
        api.ChannelGroupWalletsApi.as_view(),
        name="api-channel-group-wallets",
    ),
    path("api/transfers", api.TransferCreateApi.as_view(), name="api-transfers"),
    path("api/scheduled-transfers", api.ScheduledTransferCreateApi.as_view(), name="api-scheduled-transfers"),
    path(
        "api/scheduled-transfers/<id:schedule_id>",
        api.ScheduledTransferDetailApi.as_view(),
        name="api-scheduled-transfer",
    ),
    path("api/dues/<id:dues_id>", api.DuesDetailApi.as_view(), name="api-dues"),
    path("api/dues/<id:dues_id>/pay", api.DuesPayApi.as_view(), name="api-dues-pay"),
]
