"""The admin shows every wallet model; money history and approvals are read-only there."""

from datetime import date

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.tests.factories import UserFactory
from wallets.models import (
    ApprovalPolicy,
    ApprovalRequest,
    Dues,
    LedgerEntry,
    RecurringDues,
    ScheduledTransfer,
    Transfer,
    Wallet,
)
from wallets.tests.conftest import PIN

pytestmark = pytest.mark.django_db

FAR_YEAR = date.today().year + 5  # nothing runs or falls due during the test
MODELS = [Wallet, Transfer, LedgerEntry, ScheduledTransfer, Dues, RecurringDues, ApprovalPolicy, ApprovalRequest]


def test_every_wallet_model_has_an_admin_page_that_opens(club, client):
    treasurer, group, member = club["treasurer"], club["group"], club["member"]
    treasurer.post(
        f"/api/wallets/{group}/approval-policy", {"threshold": 0, "approvers": [member.user.pk], "required": 1}
    )
    treasurer.transfer(group, 1_000)
    treasurer.transfer(member.wallet_id, 500, from_wallet=group)
    treasurer.post(f"/api/wallets/{group}/dues", {"title": "March", "amount": 100})
    recurring = {"title": "Monthly", "amount": 100, "repeat": "monthly", "first_due": f"{FAR_YEAR}-01-31"}
    assert treasurer.post(f"/api/wallets/{group}/recurring-dues", recurring).status_code == 201
    schedule = {
        "from_wallet": treasurer.wallet_id,
        "to_wallet": member.wallet_id,
        "amount": 10,
        "pin": PIN,
        "execute_at": f"{FAR_YEAR}-01-01T09:00:00+09:00",
    }
    assert treasurer.post("/api/scheduled-transfers", schedule).status_code == 201
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for model in MODELS:
        name = model.__name__.lower()
        assert admin.site.is_registered(model), model
        assert client.get(reverse(f"admin:wallets_{name}_changelist")).status_code == 200, model
        first = model.objects.first()
        assert client.get(reverse(f"admin:wallets_{name}_change", args=[first.pk])).status_code == 200, model
    for read_only in ("ledgerentry", "transfer", "approvalrequest"):
        assert client.get(reverse(f"admin:wallets_{read_only}_add")).status_code == 403


def test_the_admin_shows_balances_with_separators_and_times_in_the_staff_members_zone(club, client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True, time_zone="Asia/Seoul"))
    page = client.get(reverse("admin:wallets_wallet_changelist")).content.decode()
    assert "100,000" in page and "100000" not in page
    assert "KST" in page and "UTC" not in page
    ledger = client.get(reverse("admin:wallets_ledgerentry_changelist")).content.decode()
    assert "50,000" in ledger and "KST" in ledger

    client.force_login(UserFactory(is_staff=True, is_superuser=True, time_zone="UTC"))
    assert "UTC" in client.get(reverse("admin:wallets_wallet_changelist")).content.decode()
