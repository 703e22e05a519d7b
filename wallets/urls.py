from django.urls import path

from wallets import api

urlpatterns = [
    path("api/wallets", api.PersonalWalletOpenApi.as_view(), name="api-wallets"),
    path("api/wallets/me", api.PersonalWalletApi.as_view(), name="api-wallet-me"),
    path("api/wallets/mine", api.MyWalletsApi.as_view(), name="api-wallets-mine"),
    path("api/wallets/lookup", api.WalletLookupApi.as_view(), name="api-wallet-lookup"),
    path("api/wallets/recipients", api.WalletRecipientsApi.as_view(), name="api-wallet-recipients"),
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
        "api/wallets/<id:wallet_id>/dues-overview",
        api.WalletDuesOverviewApi.as_view(),
        name="api-wallet-dues-overview",
    ),
    path(
        "api/wallets/<id:wallet_id>/recurring-dues",
        api.WalletRecurringDuesApi.as_view(),
        name="api-wallet-recurring-dues",
    ),
    path("api/wallets/<id:wallet_id>/treasurer", api.WalletTreasurerApi.as_view(), name="api-wallet-treasurer"),
    path(
        "api/wallets/<id:wallet_id>/approval-policy",
        api.WalletApprovalPolicyApi.as_view(),
        name="api-wallet-approval-policy",
    ),
    path("api/recurring-dues/<id:recurring_id>", api.RecurringDuesDetailApi.as_view(), name="api-recurring-dues"),
    path("api/approvals", api.ApprovalListApi.as_view(), name="api-approvals"),
    path("api/approvals/<id:approval_id>", api.ApprovalDetailApi.as_view(), name="api-approval"),
    path("api/approvals/<id:approval_id>/approve", api.ApprovalApproveApi.as_view(), name="api-approval-approve"),
    path("api/approvals/<id:approval_id>/reject", api.ApprovalRejectApi.as_view(), name="api-approval-reject"),
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
    path("api/polls/<id:poll_id>/dues", api.PollDuesApi.as_view(), name="api-poll-dues"),
    path("api/channels/<id:channel_id>/splits", api.ChannelSplitsApi.as_view(), name="api-channel-splits"),
    path("api/splits/<id:split_id>", api.SplitDetailApi.as_view(), name="api-split"),
    path("api/splits/<id:split_id>/pay", api.SplitPayApi.as_view(), name="api-split-pay"),
    path("api/splits/<id:split_id>/remind", api.SplitRemindApi.as_view(), name="api-split-remind"),
    path("api/dues/<id:dues_id>/pay", api.DuesPayApi.as_view(), name="api-dues-pay"),
    path("api/dues/<id:dues_id>/remind", api.DuesRemindApi.as_view(), name="api-dues-remind"),
]
