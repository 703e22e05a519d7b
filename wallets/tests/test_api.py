"""Wallets REST API against PostgreSQL: what a user sees of wallets, transfers and their errors."""

from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from wallets.models import LedgerEntry, Wallet
from wallets.tests.conftest import PIN

pytestmark = pytest.mark.django_db


def test_open_personal_wallet_once(person):
    alice = person("alice")
    assert alice.get("/api/wallets/me").status_code == 404
    opened = alice.post("/api/wallets", {"pin": "123456"})
    assert opened.status_code == 201
    body = opened.json()
    assert body["kind"] == "personal" and body["balance"] == 0 and body["currency"] == "KRW"
    assert body["owner"]["username"] == "alice" and "pin" not in str(body).lower()
    again = alice.post("/api/wallets", {"pin": "123456"})
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert alice.get("/api/wallets/me").json()["id"] == body["id"]


@pytest.mark.parametrize("pin", ["12", "1234567", "12a4", "", " 1234", "1234\n", "١٢٣٤", 1234])
def test_a_pin_is_four_to_six_digits(person, pin):
    response = person("alice").post("/api/wallets", {"pin": pin})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "pin" in response.json()["fields"]


def test_deposit_then_transfer_moves_money_and_writes_history(person):
    alice = person("alice").open_wallet(deposit=10_000)
    bob = person("bob").open_wallet()
    response = alice.transfer(bob.wallet_id, 2_500, memo="lunch")
    assert response.status_code == 201, response.json()
    transfer = response.json()
    assert transfer["amount"] == 2_500 and transfer["status"] == "completed"
    assert (transfer["from_wallet"], transfer["to_wallet"]) == (alice.wallet_id, bob.wallet_id)
    assert alice.balance() == 7_500 and bob.balance() == 2_500

    entries = alice.get(f"/api/wallets/{alice.wallet_id}/transactions").json()["results"]
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in entries] == [
        ("transfer", -2_500, 7_500),
        ("deposit", 10_000, 10_000),
    ]
    assert (
        entries[0]["counterparty"]["wallet"] == bob.wallet_id
        and entries[0]["counterparty"]["owner"]["username"] == "bob"
    )
    assert entries[0]["transfer_id"] == transfer["id"] and entries[1]["counterparty"] is None
    bob_entries = bob.get(f"/api/wallets/{bob.wallet_id}/transactions").json()["results"]
    assert [(e["amount"], e["balance_after"]) for e in bob_entries] == [(2_500, 2_500)]


def test_transfer_above_the_balance_is_refused_and_moves_nothing(person):
    alice = person("alice").open_wallet(deposit=1_000)
    bob = person("bob").open_wallet()
    response = alice.transfer(bob.wallet_id, 1_001)
    assert response.status_code == 422 and response.json()["code"] == "insufficient_funds"
    assert alice.balance() == 1_000 and bob.balance() == 0


@pytest.mark.parametrize("amount", [0, -5, 10.5, "100", True, None, 10**16])
def test_amount_must_be_a_positive_whole_number(person, amount):
    alice = person("alice").open_wallet(deposit=1_000)
    bob = person("bob").open_wallet()
    response = alice.transfer(bob.wallet_id, amount)
    assert response.status_code == 400 and "amount" in response.json()["fields"]
    deposit = alice.post(f"/api/wallets/{alice.wallet_id}/deposit", {"amount": amount})
    assert deposit.status_code == 400
    assert alice.balance() == 1_000


def test_only_the_owner_moves_money_out_of_a_personal_wallet(person):
    alice = person("alice").open_wallet(deposit=1_000)
    mallory = person("mallory").open_wallet()
    stolen = mallory.transfer(mallory.wallet_id, 500, from_wallet=alice.wallet_id)
    assert stolen.status_code == 403 and stolen.json()["code"] == "forbidden"
    assert mallory.get(f"/api/wallets/{alice.wallet_id}").status_code == 403
    assert mallory.get(f"/api/wallets/{alice.wallet_id}/transactions").status_code == 403
    assert mallory.post(f"/api/wallets/{alice.wallet_id}/deposit", {"amount": 5}).status_code == 403
    assert alice.balance() == 1_000


def test_the_treasurer_topping_up_a_group_wallet_is_told_the_group_wallet_rule(club):
    treasurer = club["treasurer"]
    path = f"/api/wallets/{club['group']}/deposit"
    english = treasurer.post(path, {"amount": 5_000}, **{"Accept-Language": "en"})
    assert english.status_code == 403 and english.json() == {
        "code": "forbidden",
        "detail": "A group wallet cannot be topped up from outside: send money to it from a personal wallet.",
    }
    korean = treasurer.post(path, {"amount": 5_000}, **{"Accept-Language": "ko"})
    assert korean.json()["detail"] == "모임 지갑은 밖에서 충전할 수 없습니다. 개인 지갑에서 보내 주세요."
    assert treasurer.balance(club["group"]) == 0


def test_wrong_pin_is_refused_and_five_lock_outgoing_money(person):
    alice = person("alice").open_wallet(deposit=1_000)
    bob = person("bob").open_wallet()
    first = alice.transfer(bob.wallet_id, 100, pin="9999")
    assert first.status_code == 403 and first.json()["code"] == "wrong_pin"
    for _ in range(3):
        assert alice.transfer(bob.wallet_id, 100, pin="9999").json()["code"] == "wrong_pin"
    fifth = alice.transfer(bob.wallet_id, 100, pin="9999")
    assert fifth.status_code == 403 and fifth.json()["code"] == "pin_locked"
    locked = alice.transfer(bob.wallet_id, 100, pin=PIN)
    assert locked.status_code == 403 and locked.json()["code"] == "pin_locked"
    withdraw = alice.post(f"/api/wallets/{alice.wallet_id}/withdraw", {"amount": 100, "pin": PIN})
    assert withdraw.json()["code"] == "pin_locked"
    # Money may still come in.
    assert alice.post(f"/api/wallets/{alice.wallet_id}/deposit", {"amount": 1}).status_code == 200
    assert alice.balance() == 1_001 and bob.balance() == 0


def test_a_right_pin_resets_the_wrong_attempts(person):
    alice = person("alice").open_wallet(deposit=1_000)
    bob = person("bob").open_wallet()
    for _ in range(4):
        alice.transfer(bob.wallet_id, 1, pin="0000")
    assert alice.transfer(bob.wallet_id, 1).status_code == 201
    for _ in range(4):
        assert alice.transfer(bob.wallet_id, 1, pin="0000").json()["code"] == "wrong_pin"
    assert alice.transfer(bob.wallet_id, 1).status_code == 201


def test_withdraw_to_outside(person):
    alice = person("alice").open_wallet(deposit=1_000)
    response = alice.post(f"/api/wallets/{alice.wallet_id}/withdraw", {"amount": 400, "pin": PIN})
    assert response.status_code == 200 and response.json()["balance"] == 600
    too_much = alice.post(f"/api/wallets/{alice.wallet_id}/withdraw", {"amount": 601, "pin": PIN})
    assert too_much.status_code == 422 and too_much.json()["code"] == "insufficient_funds"
    entries = alice.get(f"/api/wallets/{alice.wallet_id}/transactions").json()["results"]
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in entries][0] == ("withdraw", -400, 600)


def test_a_wallet_cannot_pay_itself(person):
    alice = person("alice").open_wallet(deposit=1_000)
    response = alice.transfer(alice.wallet_id, 10)
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_unknown_wallet_is_not_found(person):
    alice = person("alice").open_wallet(deposit=1_000)
    assert alice.transfer(999_999, 10).json()["code"] == "not_found"
    assert alice.get("/api/wallets/999999").status_code == 404


def test_group_wallet_is_for_channel_members(club, person):
    stranger = person("stranger").open_wallet(deposit=1_000)
    group = club["group"]
    assert stranger.get(f"/api/channels/{club['channel']}/group-wallets").status_code == 403
    assert stranger.post(f"/api/channels/{club['channel']}/group-wallets", {"name": "mine"}).status_code == 403
    assert stranger.get(f"/api/wallets/{group}").status_code == 403
    assert stranger.post(f"/api/wallets/{group}/join").status_code == 403
    paying_in = stranger.transfer(group, 10)
    assert paying_in.status_code == 403 and stranger.balance() == 1_000

    listed = club["member"].get(f"/api/channels/{club['channel']}/group-wallets").json()
    assert [(w["id"], w["kind"], w["member_count"], w["channel"]) for w in listed] == [
        (group, "group", 2, club["channel"])
    ]
    assert listed[0]["owner"]["username"] == "treasurer"
    members = club["member"].get(f"/api/wallets/{group}/members").json()
    assert sorted(m["username"] for m in members) == ["member", "treasurer"]
    mine = club["member"].get("/api/wallets/mine").json()
    assert [w["kind"] for w in mine] == ["personal", "group"]


def test_only_the_treasurer_moves_group_money_with_their_own_pin(club):
    treasurer, member, group = club["treasurer"], club["member"], club["group"]
    assert member.transfer(group, 5_000).status_code == 201
    taken = member.transfer(member.wallet_id, 1_000, from_wallet=group)
    assert taken.status_code == 403 and taken.json()["code"] == "forbidden"
    wrong = treasurer.transfer(member.wallet_id, 1_000, from_wallet=group, pin="0000")
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_pin"
    paid = treasurer.transfer(member.wallet_id, 1_000, from_wallet=group)
    assert paid.status_code == 201
    assert treasurer.balance(group) == 4_000 and member.balance() == 46_000
    assert member.post(f"/api/wallets/{group}/deposit", {"amount": 10}).status_code == 403


def test_group_wallet_join_twice_is_fine(club):
    again = club["member"].post(f"/api/wallets/{club['group']}/join")
    assert again.status_code == 200 and again.json()["member_count"] == 2


def test_same_idempotency_key_replays_the_first_response(person):
    alice = person("alice").open_wallet(deposit=1_000)
    bob = person("bob").open_wallet()
    first = alice.transfer(bob.wallet_id, 300, **{"Idempotency-Key": "pay-bob-1"})
    second = alice.transfer(bob.wallet_id, 300, **{"Idempotency-Key": "pay-bob-1"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert alice.balance() == 700
    other_body = alice.transfer(bob.wallet_id, 301, **{"Idempotency-Key": "pay-bob-1"})
    assert other_body.status_code == 409 and other_body.json()["code"] == "idempotency_conflict"
    # Keys are per user: bob may use the same key for his own request.
    assert bob.transfer(alice.wallet_id, 100, **{"Idempotency-Key": "pay-bob-1"}).status_code == 201


def test_idempotency_key_replays_a_refusal_too(person):
    alice = person("alice").open_wallet(deposit=100)
    bob = person("bob").open_wallet()
    refused = alice.transfer(bob.wallet_id, 500, **{"Idempotency-Key": "k"})
    assert refused.status_code == 422
    alice.post(f"/api/wallets/{alice.wallet_id}/deposit", {"amount": 1_000})
    replay = alice.transfer(bob.wallet_id, 500, **{"Idempotency-Key": "k"})
    assert replay.status_code == 422 and replay.json() == refused.json()
    assert bob.balance() == 0


def test_idempotent_deposit_and_withdraw(person):
    alice = person("alice").open_wallet()
    for _ in range(3):
        assert (
            alice.post(
                f"/api/wallets/{alice.wallet_id}/deposit", {"amount": 500}, **{"Idempotency-Key": "top-up"}
            ).status_code
            == 200
        )
    for _ in range(3):
        alice.post(
            f"/api/wallets/{alice.wallet_id}/withdraw", {"amount": 200, "pin": PIN}, **{"Idempotency-Key": "out"}
        )
    assert alice.balance() == 300


def test_history_pages_newest_first_with_a_cursor(person):
    alice = person("alice").open_wallet()
    for amount in range(1, 61):
        alice.post(f"/api/wallets/{alice.wallet_id}/deposit", {"amount": amount})
    first = alice.get(f"/api/wallets/{alice.wallet_id}/transactions").json()
    assert [e["amount"] for e in first["results"]] == list(range(60, 10, -1))
    second = alice.client.get(first["next"]).json()
    assert [e["amount"] for e in second["results"]] == list(range(10, 0, -1)) and second["next"] is None


@pytest.mark.parametrize("cursor", ["garbage", "cD1hYmM=", "cD0lMDA=", "cD0tMQ=="])  # p=abc, p=%00, p=-1
def test_a_forged_history_cursor_is_not_found(person, cursor):
    alice = person("alice").open_wallet(deposit=100)
    response = alice.get(f"/api/wallets/{alice.wallet_id}/transactions?cursor={cursor}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize("wallet_number", ["\u0661", "5.0", "5 ", 5.0, True])
def test_a_wallet_number_is_an_integer_or_its_ascii_digits(person, wallet_number):
    alice = person("alice").open_wallet(deposit=1_000)
    bob = person("bob").open_wallet()
    refused = alice.transfer(wallet_number, 100)
    assert refused.status_code == 400 and "to_wallet" in refused.json()["fields"]
    assert alice.transfer(str(bob.wallet_id), 100).status_code == 201  # a form's value
    assert alice.get(f"/api/wallets/lookup?number={wallet_number}").status_code == 400
    assert alice.balance() == 900


def test_no_wallet_holds_more_than_its_column_can(person):
    from wallets.services.movements import MAX_BALANCE

    alice = person("alice").open_wallet(deposit=1_000)
    bob = person("bob").open_wallet()
    Wallet.objects.filter(pk=bob.wallet_id).update(balance=MAX_BALANCE - 500)
    refused = alice.transfer(bob.wallet_id, 501)
    assert refused.status_code == 409 and refused.json()["code"] == "conflict"
    assert alice.transfer(bob.wallet_id, 500).status_code == 201
    assert bob.balance() == MAX_BALANCE and alice.balance() == 500


def test_csv_export_is_the_whole_history_for_members(club, person):
    treasurer, group = club["treasurer"], club["group"]
    club["member"].transfer(group, 700, memo="dues, march")
    response = treasurer.get(f"/api/wallets/{group}/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("\ufeff")  # so spreadsheet programs read Korean names and memos as UTF-8
    lines = text.removeprefix("\ufeff").splitlines()
    assert lines[0] == "Entry no.,Transfer no.,Time (Asia/Seoul),Kind,Amount,Balance after,Counterparty,Memo"
    assert lines[1].endswith(',Transfer,700,700,member\'s wallet,"dues, march"')
    assert person("stranger").get(f"/api/wallets/{group}/export.csv").status_code == 403


def test_a_korean_statement_says_its_columns_and_kinds_in_korean_and_its_times_in_seoul_to_the_second(person):
    jiun = person("jiun")
    jiun.user.language, jiun.user.time_zone = "ko", "Asia/Seoul"
    jiun.user.save()
    jiun.open_wallet(deposit=50_000)
    assert jiun.post(f"/api/wallets/{jiun.wallet_id}/withdraw", {"amount": 8_000, "pin": "1234"}).status_code == 200
    text = b"".join(jiun.get(f"/api/wallets/{jiun.wallet_id}/export.csv").streaming_content).decode()
    header, *rows = [line.split(",") for line in text.removeprefix("\ufeff").splitlines()]
    assert header == [
        "항목 번호",
        "거래 번호",
        "일시 (Asia/Seoul)",
        "구분",
        "금액",
        "거래 후 잔액",
        "거래 상대",
        "메모",
    ]
    assert [row[3:7] for row in rows] == [["충전", "50000", "50000", "외부"], ["출금", "-8000", "42000", "외부"]]
    deposited = LedgerEntry.objects.filter(wallet_id=jiun.wallet_id).earliest("id").created_at
    seoul = deposited.astimezone(ZoneInfo("Asia/Seoul"))
    assert rows[0][2] == seoul.strftime("%Y-%m-%d %H:%M:%S")  # 09:54:20, not 00:54:20.901168Z


def test_a_memo_a_spreadsheet_would_run_is_exported_as_text(club):
    treasurer, group = club["treasurer"], club["group"]
    club["member"].transfer(group, 700, memo='=HYPERLINK("http://evil.example","refund")')
    text = b"".join(treasurer.get(f"/api/wallets/{group}/export.csv").streaming_content).decode()
    assert text.splitlines()[-1].endswith(',member\'s wallet,"\'=HYPERLINK(""http://evil.example"",""refund"")"')


def test_check_ledger_passes_and_names_a_tampered_wallet(club, capsys):
    from django.core.management.base import CommandError

    from wallets.models import Wallet

    club["member"].transfer(club["group"], 1_234)
    call_command("check_ledger")
    assert "ledger OK" in capsys.readouterr().out
    Wallet.objects.filter(pk=club["group"]).update(balance=999)
    with pytest.raises(CommandError):
        call_command("check_ledger")
    assert f"wallet #{club['group']} (club fund): balance 999 but its entries sum to 1234" in capsys.readouterr().err


def test_money_movements_are_counted_on_metrics(person, client):
    alice = person("alice").open_wallet(deposit=100)
    bob = person("bob").open_wallet()
    alice.transfer(bob.wallet_id, 500)
    alice.transfer(bob.wallet_id, 50)
    metrics = client.get("/metrics").content.decode()
    assert 'wallet_transfers_total{kind="transfer",outcome="insufficient_funds"}' in metrics
    assert 'wallet_transfers_total{kind="transfer",outcome="ok"}' in metrics
    assert 'wallet_money_movement_seconds_count{kind="deposit"}' in metrics


def test_a_wallet_number_names_its_owner_before_sending(club, person):
    stranger = person("stranger")
    found = stranger.get(f"/api/wallets/lookup?number={club['member'].wallet_id}")
    assert found.status_code == 200
    assert found.json() == {
        "id": club["member"].wallet_id,
        "kind": "personal",
        "name": "member's wallet",
        "owner": {"id": club["member"].user.pk, "username": "member"},
    }
    group = club["member"].get(f"/api/wallets/lookup?number={club['group']}").json()
    assert (group["kind"], group["name"], group["owner"]["username"]) == ("group", "club fund", "treasurer")
    assert "balance" not in group
    missing = stranger.get("/api/wallets/lookup?number=999999")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert stranger.get("/api/wallets/lookup?number=abc").status_code == 400


def test_looking_up_wallet_numbers_is_kept_to_a_human_pace(person):
    alice = person("alice").open_wallet()
    statuses = [alice.get(f"/api/wallets/lookup?number={alice.wallet_id}").status_code for _ in range(31)]
    assert statuses == [200] * 30 + [429]  # THROTTLE_WALLET_LOOKUP: 30/min by default


def test_recipients_are_the_people_of_my_channels(club, person):
    person("stranger").open_wallet()
    recipients = club["member"].get("/api/wallets/recipients").json()
    assert [(r["user"]["username"], r["wallet"]["id"]) for r in recipients] == [
        ("treasurer", club["treasurer"].wallet_id)
    ]
    in_channel = club["treasurer"].get(f"/api/wallets/recipients?channel={club['channel']}").json()
    assert [r["user"]["username"] for r in in_channel] == ["member"]


def test_a_group_wallet_number_is_not_found_outside_its_channel(club, person):
    """As tried: any signed-in user learned a private channel's fund and treasurer from its number."""
    treasurer, member = club["treasurer"], club["member"]
    hidden = treasurer.post("/api/channels", {"name": "secret society", "password": "sesame"}).json()
    fund = treasurer.post(f"/api/channels/{hidden['id']}/group-wallets", {"name": "war chest"}).json()
    stranger = person("stranger")
    missing = stranger.get("/api/wallets/lookup?number=999999")
    for outsider in (stranger, member):
        looked = outsider.get(f"/api/wallets/lookup?number={fund['id']}")
        assert (looked.status_code, looked.json()) == (404, missing.json())
    assert stranger.get(f"/api/wallets/lookup?number={club['group']}").json() == missing.json()
    assert treasurer.get(f"/api/wallets/lookup?number={fund['id']}").json()["name"] == "war chest"
