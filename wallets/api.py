"""Wallets REST API (docs/api.md "Wallets" and "Additions (v2) / Money").

Entry points only: the rules live in wallets.services, the reads in wallets.selectors.
"""

import csv

from django.http import StreamingHttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.serializers import UserRefSerializer
from channels_app.selectors import channel_for_member
from core.api.errors import NotFound
from core.api.fields import IdField, QuerySerializer, StrictCharField
from core.api.pagination import NewestFirstCursorPagination, page_schema
from core.web.locale import user_language, user_time_zone
from wallets import selectors, statements
from wallets.idempotency import MAX_KEY_LENGTH, idempotent
from wallets.models import ApprovalPolicy, ApprovalRequest
from wallets.serializers import (
    ApprovalPolicyOutputSerializer,
    ApprovalRequestOutputSerializer,
    DuesOutputSerializer,
    EntryOutputSerializer,
    MemberDuesRecordSerializer,
    MoneyField,
    PinField,
    PlannedDateField,
    PlannedDateTimeField,
    RecipientOutputSerializer,
    RecurringDuesOutputSerializer,
    ScheduledTransferOutputSerializer,
    SharesField,
    SplitOutputSerializer,
    TransferOutputSerializer,
    WalletLookupOutputSerializer,
    WalletOutputSerializer,
)
from wallets.services import approvals, dues, schedules, splits, transfers
from wallets.services import wallets as wallet_services

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    OpenApiParameter.HEADER,
    required=False,
    description="Replays the first response for the same key and body; 409 idempotency_conflict for another body.",
)


def _validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _wallet_body(*, user, wallet_id: int) -> dict:
    return WalletOutputSerializer(selectors.wallet_for_viewer(user=user, wallet_id=wallet_id)).data


def _moved_or_pending(outcome, success: Response) -> Response:
    """Money out of a group wallet above its approval threshold waits: 202 with the approval request."""
    if isinstance(outcome, ApprovalRequest):
        request = selectors.approval_request_any(request_id=outcome.pk)
        return Response(ApprovalRequestOutputSerializer(request).data, status=status.HTTP_202_ACCEPTED)
    return success


class PersonalWalletOpenApi(APIView):
    class InputSerializer(serializers.Serializer):
        pin = PinField()

    @extend_schema(request=InputSerializer, responses={201: WalletOutputSerializer})
    def post(self, request):
        wallet = wallet_services.personal_wallet_open(
            owner=request.user, pin=_validated(self.InputSerializer, request)["pin"]
        )
        return Response(_wallet_body(user=request.user, wallet_id=wallet.pk), status=status.HTTP_201_CREATED)


class PersonalWalletApi(APIView):
    @extend_schema(responses={200: WalletOutputSerializer})
    def get(self, request):
        wallet = selectors.wallet_personal(user=request.user)
        if wallet is None:
            raise NotFound(_("You have no personal wallet yet."))
        return Response(WalletOutputSerializer(wallet).data)


class MyWalletsApi(APIView):
    @extend_schema(responses={200: WalletOutputSerializer(many=True)})
    def get(self, request):
        return Response(WalletOutputSerializer(selectors.wallet_list_mine(user=request.user), many=True).data)


class WalletDetailApi(APIView):
    @extend_schema(responses={200: WalletOutputSerializer})
    def get(self, request, wallet_id: int):
        return Response(_wallet_body(user=request.user, wallet_id=wallet_id))


class WalletDepositApi(APIView):
    class InputSerializer(serializers.Serializer):
        amount = MoneyField()

    @extend_schema(request=InputSerializer, responses={200: WalletOutputSerializer}, parameters=[IDEMPOTENCY_PARAMETER])
    def post(self, request, wallet_id: int):
        data = _validated(self.InputSerializer, request)

        def deposit():
            transfers.wallet_deposit(actor=request.user, wallet_id=wallet_id, amount=data["amount"])
            return Response(_wallet_body(user=request.user, wallet_id=wallet_id))

        return idempotent(request, deposit)


class WalletWithdrawApi(APIView):
    class InputSerializer(serializers.Serializer):
        amount = MoneyField()
        pin = PinField()

    @extend_schema(
        request=InputSerializer,
        responses={200: WalletOutputSerializer, 202: ApprovalRequestOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    def post(self, request, wallet_id: int):
        data = _validated(self.InputSerializer, request)

        def withdraw():
            outcome = transfers.wallet_withdraw(actor=request.user, wallet_id=wallet_id, **data)
            return _moved_or_pending(outcome, Response(_wallet_body(user=request.user, wallet_id=wallet_id)))

        return idempotent(request, withdraw)


class WalletTransactionsApi(APIView):
    class QuerySerializer(QuerySerializer):
        # Read by NewestFirstCursorPagination; declared so that it is documented, given once, and
        # refuses NUL like every other text (a cursor the server did not make is 404).
        cursor = StrictCharField(required=False, help_text="The `next` link's cursor: the page after it.")

    @extend_schema(
        parameters=[QuerySerializer],
        responses={200: page_schema(EntryOutputSerializer, name="LedgerEntryPage")},
    )
    def get(self, request, wallet_id: int):
        self.QuerySerializer(data=request.query_params).is_valid(raise_exception=True)
        wallet = selectors.wallet_for_viewer(user=request.user, wallet_id=wallet_id)
        paginator = NewestFirstCursorPagination()
        page = paginator.paginate_queryset(selectors.wallet_entries(wallet=wallet), request, view=self)
        return paginator.get_paginated_response(EntryOutputSerializer(page, many=True).data)


class WalletExportApi(APIView):
    """The wallet's whole ledger as CSV, oldest first, streamed; in the caller's language and time zone."""

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, wallet_id: int):
        wallet = selectors.wallet_for_viewer(user=request.user, wallet_id=wallet_id)
        entries = selectors.wallet_entries(wallet=wallet).order_by("id").iterator(chunk_size=500)
        writer = csv.writer(_Echo())
        # The rows are written after the view returned, outside the request's language (and a token's
        # user is known only here, after the locale middleware): the caller's setting, else the request's.
        language, time_zone = user_language(request.user), user_time_zone(request.user)

        def rows():
            with translation.override(language):
                # A byte order mark: spreadsheet programs read the file as UTF-8 (Korean names and memos) only with it.
                yield "\ufeff" + writer.writerow(statements.statement_header(time_zone=time_zone))
                for entry in entries:
                    yield writer.writerow(_statement_row(entry, time_zone=time_zone))

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="wallet-{wallet.pk}.csv"'
        return response


def _statement_row(entry, *, time_zone: str) -> list:
    item = EntryOutputSerializer(entry).data
    counterparty = item["counterparty"]["name"] if item["counterparty"] else statements.statement_outside()
    return [
        item["id"],
        item["transfer_id"],
        statements.statement_time(entry.created_at, time_zone=time_zone),
        statements.statement_kind(item["kind"]),
        item["amount"],
        item["balance_after"],
        _as_text(counterparty),
        _as_text(item["memo"]),
    ]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _as_text(value: str) -> str:
    """Names and memos are other people's words: one a spreadsheet would run as a formula
    (=HYPERLINK(...)) is kept as text by a leading apostrophe (OWASP's CSV injection advice)."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


class _Echo:
    """csv.writer writes into this and gets the line back, so rows can be streamed."""

    def write(self, value: str) -> str:
        return value


class WalletJoinApi(APIView):
    @extend_schema(request=None, responses={200: WalletOutputSerializer})
    def post(self, request, wallet_id: int):
        wallet = selectors.wallet_for_viewer(user=request.user, wallet_id=wallet_id)
        wallet_services.group_wallet_join(user=request.user, wallet=wallet)
        return Response(_wallet_body(user=request.user, wallet_id=wallet_id))


class WalletMembersApi(APIView):
    @extend_schema(responses={200: UserRefSerializer(many=True)})
    def get(self, request, wallet_id: int):
        wallet = selectors.wallet_for_viewer(user=request.user, wallet_id=wallet_id)
        users = (
            [member.user for member in selectors.wallet_members(wallet=wallet)] if wallet.is_group else [wallet.owner]
        )
        return Response(UserRefSerializer(users, many=True).data)


class ChannelGroupWalletsApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = StrictCharField(max_length=100)
        description = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")

    @extend_schema(responses={200: WalletOutputSerializer(many=True)})
    def get(self, request, channel_id: int):
        channel_for_member(user=request.user, channel_id=channel_id)
        return Response(
            WalletOutputSerializer(selectors.wallet_list_for_channel(channel_id=channel_id), many=True).data
        )

    @extend_schema(request=InputSerializer, responses={201: WalletOutputSerializer})
    def post(self, request, channel_id: int):
        data = _validated(self.InputSerializer, request)
        wallet = wallet_services.group_wallet_create(owner=request.user, channel_id=channel_id, **data)
        return Response(_wallet_body(user=request.user, wallet_id=wallet.pk), status=status.HTTP_201_CREATED)


class TransferCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        from_wallet = IdField()
        to_wallet = IdField()
        amount = MoneyField()
        pin = PinField()
        memo = StrictCharField(max_length=200, required=False, allow_blank=True, default="")

    @extend_schema(
        request=InputSerializer,
        responses={201: TransferOutputSerializer, 202: ApprovalRequestOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    def post(self, request):
        data = _validated(self.InputSerializer, request)

        def transfer():
            outcome = transfers.wallet_transfer(
                actor=request.user,
                source_id=data["from_wallet"],
                target_id=data["to_wallet"],
                amount=data["amount"],
                pin=data["pin"],
                memo=data["memo"],
            )
            return _moved_or_pending(
                outcome, Response(TransferOutputSerializer(outcome).data, status=status.HTTP_201_CREATED)
            )

        return idempotent(request, transfer)


class ScheduledTransferCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        from_wallet = IdField()
        to_wallet = IdField()
        amount = MoneyField()
        pin = PinField()
        execute_at = PlannedDateTimeField()
        repeat = serializers.ChoiceField(choices=["none", "daily", "weekly", "monthly"], default="none")
        memo = StrictCharField(max_length=200, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={201: ScheduledTransferOutputSerializer})
    def post(self, request):
        data = _validated(self.InputSerializer, request)
        schedule = schedules.scheduled_transfer_create(
            actor=request.user,
            source_id=data["from_wallet"],
            target_id=data["to_wallet"],
            amount=data["amount"],
            pin=data["pin"],
            execute_at=data["execute_at"],
            repeat=data["repeat"],
            memo=data["memo"],
        )
        return Response(ScheduledTransferOutputSerializer(schedule).data, status=status.HTTP_201_CREATED)


class ScheduledTransferDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, schedule_id: int):
        schedules.scheduled_transfer_cancel(actor=request.user, schedule_id=schedule_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WalletScheduledTransfersApi(APIView):
    @extend_schema(responses={200: ScheduledTransferOutputSerializer(many=True)})
    def get(self, request, wallet_id: int):
        wallet = selectors.wallet_for_viewer(user=request.user, wallet_id=wallet_id)
        schedules = selectors.scheduled_transfer_list(wallet=wallet)
        return Response(ScheduledTransferOutputSerializer(schedules, many=True).data)


class WalletDuesApi(APIView):
    class InputSerializer(serializers.Serializer):
        title = StrictCharField(max_length=200)
        amount = MoneyField()
        due_date = PlannedDateField(required=False, allow_null=True, default=None)

    @extend_schema(responses={200: DuesOutputSerializer(many=True)})
    def get(self, request, wallet_id: int):
        wallet = selectors.wallet_for_viewer(user=request.user, wallet_id=wallet_id)
        return Response(DuesOutputSerializer(selectors.dues_list(wallet=wallet), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: DuesOutputSerializer})
    def post(self, request, wallet_id: int):
        selectors.wallet_for_viewer(user=request.user, wallet_id=wallet_id)
        created = dues.dues_create(actor=request.user, wallet_id=wallet_id, **_validated(self.InputSerializer, request))
        return Response(
            DuesOutputSerializer(selectors.dues_get(dues_id=created.pk)).data, status=status.HTTP_201_CREATED
        )


class PollDuesApi(APIView):
    class InputSerializer(serializers.Serializer):
        wallet = IdField(help_text="a group wallet of the poll's channel; you are its treasurer")
        amount = MoneyField()
        option = IdField(help_text="the option whose voters are asked to pay")

    @extend_schema(request=InputSerializer, responses={201: DuesOutputSerializer})
    def post(self, request, poll_id: int):
        data = _validated(self.InputSerializer, request)
        created = dues.poll_dues_create(
            actor=request.user,
            poll_id=poll_id,
            wallet_id=data["wallet"],
            amount=data["amount"],
            option_id=data["option"],
        )
        return Response(
            DuesOutputSerializer(selectors.dues_get(dues_id=created.pk)).data, status=status.HTTP_201_CREATED
        )


class ChannelSplitsApi(APIView):
    class InputSerializer(serializers.Serializer):
        title = StrictCharField(max_length=200)
        total = MoneyField()
        members = serializers.ListField(
            child=IdField(), min_length=1, max_length=splits.MAX_MEMBERS, help_text="members of the channel, in order"
        )
        shares = SharesField(
            required=False, help_text="{user id: amount} for custom shares, adding up to total; equal shares without it"
        )
        to_wallet = IdField(help_text="your personal wallet, or a group wallet of this channel")

    @extend_schema(request=InputSerializer, responses={201: SplitOutputSerializer})
    def post(self, request, channel_id: int):
        data = _validated(self.InputSerializer, request)
        created = splits.split_create(
            actor=request.user,
            channel_id=channel_id,
            title=data["title"],
            total=data["total"],
            members=data["members"],
            to_wallet_id=data["to_wallet"],
            shares=data.get("shares"),
        )
        return Response(
            SplitOutputSerializer(selectors.split_get(split_id=created.pk)).data, status=status.HTTP_201_CREATED
        )


class SplitDetailApi(APIView):
    @extend_schema(responses={200: SplitOutputSerializer})
    def get(self, request, split_id: int):
        return Response(SplitOutputSerializer(selectors.split_for_viewer(user=request.user, split_id=split_id)).data)


class SplitPayApi(APIView):
    class InputSerializer(serializers.Serializer):
        pin = PinField()

    @extend_schema(
        request=InputSerializer, responses={201: TransferOutputSerializer}, parameters=[IDEMPOTENCY_PARAMETER]
    )
    def post(self, request, split_id: int):
        data = _validated(self.InputSerializer, request)

        def pay():
            transfer = splits.split_pay(actor=request.user, split_id=split_id, pin=data["pin"])
            return Response(TransferOutputSerializer(transfer).data, status=status.HTTP_201_CREATED)

        return idempotent(request, pay)


class SplitRemindApi(APIView):
    @extend_schema_serializer(component_name="SplitReminded")
    class OutputSerializer(serializers.Serializer):
        reminded = serializers.IntegerField()

    @extend_schema(request=None, responses={200: OutputSerializer})
    def post(self, request, split_id: int):
        return Response({"reminded": splits.split_remind(actor=request.user, split_id=split_id)})


class DuesDetailApi(APIView):
    @extend_schema(responses={200: DuesOutputSerializer})
    def get(self, request, dues_id: int):
        return Response(DuesOutputSerializer(selectors.dues_for_viewer(user=request.user, dues_id=dues_id)).data)


class DuesPayApi(APIView):
    class InputSerializer(serializers.Serializer):
        pin = PinField()

    @extend_schema(
        request=InputSerializer, responses={201: TransferOutputSerializer}, parameters=[IDEMPOTENCY_PARAMETER]
    )
    def post(self, request, dues_id: int):
        data = _validated(self.InputSerializer, request)

        def pay():
            transfer = dues.dues_pay(actor=request.user, dues_id=dues_id, pin=data["pin"])
            return Response(TransferOutputSerializer(transfer).data, status=status.HTTP_201_CREATED)

        return idempotent(request, pay)


class WalletLookupApi(APIView):
    """Whose wallet a number is: shown before sending money to it."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "wallet_lookup"

    class QuerySerializer(QuerySerializer):
        number = IdField()

    @extend_schema(parameters=[QuerySerializer], responses={200: WalletLookupOutputSerializer})
    def get(self, request):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(
            WalletLookupOutputSerializer(
                selectors.wallet_lookup(user=request.user, number=query.validated_data["number"])
            ).data
        )


class WalletRecipientsApi(APIView):
    """The people one can send money to by name: the personal wallets of people in one's channels."""

    class QuerySerializer(QuerySerializer):
        channel = IdField(required=False)

    @extend_schema(parameters=[QuerySerializer], responses={200: RecipientOutputSerializer(many=True)})
    def get(self, request):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wallets = selectors.wallet_recipients(user=request.user, channel_id=query.validated_data.get("channel"))
        return Response(RecipientOutputSerializer(wallets, many=True).data)


class WalletTreasurerApi(APIView):
    class InputSerializer(serializers.Serializer):
        user_id = IdField()
        pin = PinField()

    @extend_schema(request=InputSerializer, responses={200: WalletOutputSerializer})
    def post(self, request, wallet_id: int):
        data = _validated(self.InputSerializer, request)
        selectors.wallet_for_viewer(user=request.user, wallet_id=wallet_id)
        wallet = wallet_services.group_wallet_hand_over(
            actor=request.user, wallet_id=wallet_id, new_treasurer_id=data["user_id"], pin=data["pin"]
        )
        return Response(WalletOutputSerializer(wallet).data)


class DuesRemindApi(APIView):
    @extend_schema_serializer(component_name="DuesReminded")
    class OutputSerializer(serializers.Serializer):
        reminded = serializers.IntegerField()

    @extend_schema(request=None, responses={200: OutputSerializer})
    def post(self, request, dues_id: int):
        return Response({"reminded": dues.dues_remind(actor=request.user, dues_id=dues_id)})


class WalletDuesOverviewApi(APIView):
    @extend_schema(responses={200: MemberDuesRecordSerializer(many=True)})
    def get(self, request, wallet_id: int):
        wallet = selectors.wallet_for_viewer(user=request.user, wallet_id=wallet_id)
        return Response(MemberDuesRecordSerializer(selectors.dues_overview(wallet=wallet), many=True).data)


class WalletRecurringDuesApi(APIView):
    class InputSerializer(serializers.Serializer):
        title = StrictCharField(max_length=200)
        amount = MoneyField()
        repeat = serializers.ChoiceField(choices=["weekly", "monthly"])
        first_due = PlannedDateField()

    @extend_schema(responses={200: RecurringDuesOutputSerializer(many=True)})
    def get(self, request, wallet_id: int):
        wallet = selectors.wallet_for_viewer(user=request.user, wallet_id=wallet_id)
        return Response(RecurringDuesOutputSerializer(selectors.recurring_dues_list(wallet=wallet), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: RecurringDuesOutputSerializer})
    def post(self, request, wallet_id: int):
        selectors.wallet_for_viewer(user=request.user, wallet_id=wallet_id)
        recurring = dues.recurring_dues_create(
            actor=request.user, wallet_id=wallet_id, **_validated(self.InputSerializer, request)
        )
        return Response(RecurringDuesOutputSerializer(recurring).data, status=status.HTTP_201_CREATED)


class RecurringDuesDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, recurring_id: int):
        dues.recurring_dues_cancel(actor=request.user, recurring_id=recurring_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WalletApprovalPolicyApi(APIView):
    class InputSerializer(serializers.Serializer):
        threshold = serializers.IntegerField(min_value=0, max_value=10**15)
        window = serializers.ChoiceField(
            choices=ApprovalPolicy.Window.choices,
            default=ApprovalPolicy.Window.DAY,
            help_text="What the threshold counts: each transfer, or with what left the wallet without "
            "approval in the last 24 hours (day) or 7 days (week).",
        )
        approvers = serializers.ListField(child=IdField(), max_length=50, allow_empty=True)
        required = serializers.IntegerField(min_value=0, max_value=50)

    @extend_schema_serializer(component_name="ApprovalPolicyState")
    class OutputSerializer(serializers.Serializer):
        """The policy; with no policy, threshold null, required 0 and no approvers."""

        wallet = serializers.IntegerField()
        threshold = serializers.IntegerField(allow_null=True)
        window = serializers.ChoiceField(choices=ApprovalPolicy.Window.choices, allow_null=True)
        required = serializers.IntegerField()
        approvers = UserRefSerializer(many=True)
        updated_at = serializers.DateTimeField(allow_null=True)

    @staticmethod
    def _body(wallet_id: int, policy) -> dict:
        if policy is None:
            return {
                "wallet": wallet_id,
                "threshold": None,
                "window": None,
                "required": 0,
                "approvers": [],
                "updated_at": None,
            }
        return ApprovalPolicyOutputSerializer(policy).data

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request, wallet_id: int):
        wallet = selectors.wallet_for_viewer(user=request.user, wallet_id=wallet_id)
        return Response(self._body(wallet_id, selectors.approval_policy_for(wallet=wallet)))

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request, wallet_id: int):
        data = _validated(self.InputSerializer, request)
        selectors.wallet_for_viewer(user=request.user, wallet_id=wallet_id)
        approvals.approval_policy_set(
            actor=request.user,
            wallet_id=wallet_id,
            threshold=data["threshold"],
            window=data["window"],
            approver_ids=data["approvers"],
            required=data["required"],
        )
        wallet = selectors.wallet_get(wallet_id=wallet_id)
        return Response(self._body(wallet_id, selectors.approval_policy_for(wallet=wallet)))


class ApprovalListApi(APIView):
    @extend_schema(responses={200: ApprovalRequestOutputSerializer(many=True)})
    def get(self, request):
        pending = selectors.approval_requests_pending(user=request.user)
        return Response(ApprovalRequestOutputSerializer(pending, many=True).data)


class ApprovalDetailApi(APIView):
    @extend_schema(responses={200: ApprovalRequestOutputSerializer})
    def get(self, request, approval_id: int):
        approval = selectors.approval_request_for_user(user=request.user, request_id=approval_id)
        return Response(ApprovalRequestOutputSerializer(approval).data)


class _ApprovalDecisionApi(APIView):
    decide = None  # the service

    class InputSerializer(serializers.Serializer):
        pin = PinField()

    @extend_schema(
        request=InputSerializer, responses={200: ApprovalRequestOutputSerializer}, parameters=[IDEMPOTENCY_PARAMETER]
    )
    def post(self, request, approval_id: int):
        data = _validated(self.InputSerializer, request)

        def decide():
            decided = type(self).decide(actor=request.user, request_id=approval_id, pin=data["pin"])
            return Response(ApprovalRequestOutputSerializer(decided).data)

        return idempotent(request, decide)


class ApprovalApproveApi(_ApprovalDecisionApi):
    decide = staticmethod(approvals.approval_approve)


class ApprovalRejectApi(_ApprovalDecisionApi):
    decide = staticmethod(approvals.approval_reject)
