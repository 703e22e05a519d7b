"""Korean and English (docs/api.md "Language"): every string has its Korean, chosen by the user's setting,
else Accept-Language; won and times as Koreans write them."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from wallets.tests.conftest import PIN

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale" / "ko" / "LC_MESSAGES"
SOURCES = [
    "accounts",
    "channels_app",
    "chat",
    "config",
    "core",
    "wallets",
    "templates",
    "static",
    "locale",
    "manage.py",
    "bin",
]


def test_every_string_of_the_server_and_the_script_has_its_korean(tmp_path):
    """bin/makemessages on a copy of the sources: a new or changed English string shows up as an
    entry with no Korean (or a fuzzy one), and fails here until it is translated."""
    if not shutil.which("xgettext"):
        pytest.fail("GNU gettext is missing: bin/ensure-services installs it (Debian package gettext)")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "tests"))
        else:
            shutil.copy2(source, tmp_path / name)
    env = {**os.environ, "PYTHON": sys.executable, "APP_VAR_DIR": str(tmp_path / "var")}
    subprocess.run([str(tmp_path / "bin" / "makemessages")], cwd=tmp_path, env=env, check=True, capture_output=True)
    for domain in ("django", "djangojs"):
        catalog = polib.pofile(tmp_path / "locale" / "ko" / "LC_MESSAGES" / f"{domain}.po")
        assert len(catalog) > 50
        untranslated = [entry.msgid for entry in catalog if not entry.translated()]
        assert untranslated == [], f"{domain}.po: translate these into Korean (then compilemessages)"


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_the_compiled_catalogs_are_those_of_the_sources(domain):
    # Keyed by context too: "Offline" the connection state and "Offline" a person are two entries.
    source = {
        (entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural[0]
        for entry in polib.pofile(LOCALE / f"{domain}.po")
    }
    compiled = {
        (entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural[0]
        for entry in polib.mofile(LOCALE / f"{domain}.mo")
    }
    compiled.pop((None, ""), None)  # the header
    assert compiled == source, "run: .venv/bin/python manage.py compilemessages -l ko --ignore=.venv"


@pytest.mark.django_db
def test_errors_follow_accept_language_without_a_setting():
    client = APIClient()
    client.force_authenticate(UserFactory())
    korean = client.get("/api/wallets/999999", HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9,en;q=0.5")
    assert korean.status_code == 404 and korean.json() == {"code": "not_found", "detail": "지갑을 찾을 수 없습니다."}
    assert korean["Content-Language"] == "ko"
    english = client.get("/api/wallets/999999", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert english.json()["detail"] == "Wallet not found."
    invalid = client.post("/api/wallets", {"pin": "12"}, format="json", HTTP_ACCEPT_LANGUAGE="ko")
    assert invalid.json()["fields"]["pin"] == ["PIN은 숫자 4~6자리입니다."]


@pytest.mark.django_db
def test_a_users_language_wins_over_the_browsers_with_a_session_or_a_token():
    user = UserFactory(language="ko")
    session = APIClient()
    session.force_login(user)
    assert session.get("/api/wallets/999999", HTTP_ACCEPT_LANGUAGE="en").json()["detail"] == "지갑을 찾을 수 없습니다."
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    refused = token.post("/api/wallets", {"pin": "12"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.json()["fields"]["pin"] == ["PIN은 숫자 4~6자리입니다."]
    wrong_pin = token.post("/api/wallets", {"pin": "1234"}, format="json")
    assert wrong_pin.status_code == 201


@pytest.mark.django_db
def test_the_pages_and_the_scripts_strings_come_in_korean():
    user = UserFactory(language="ko")
    browser = Client()
    browser.force_login(user)
    page = browser.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="ko">' in page and "내 지갑" in page and "로그아웃" in page
    catalog = browser.get("/jsi18n/").content.decode()
    assert "\\uc1a1\\uae08" in catalog or "송금" in catalog  # "Send money"
    signin = Client().get("/accounts/signin/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "로그인" in signin and "이메일" in signin


@pytest.mark.django_db
def test_language_and_time_zone_are_saved_on_the_account():
    user = UserFactory()
    client = APIClient()
    client.force_login(user)  # a browser session: its user's language applies to every request
    assert client.get("/api/auth/me").json()["language"] == ""
    saved = client.patch("/api/auth/me", {"language": "ko", "time_zone": "Asia/Seoul"}, format="json")
    assert saved.status_code == 200
    assert (saved.json()["language"], saved.json()["time_zone"]) == ("ko", "Asia/Seoul")
    wrong = client.patch("/api/auth/me", {"time_zone": "Mars/Olympus"}, format="json")
    assert wrong.status_code == 400 and "time_zone" in wrong.json()["fields"]
    assert wrong.json()["detail"] == "Asia/Seoul 같은 시간대를 골라 주세요."  # in the language just chosen
    assert client.patch("/api/auth/me", {"language": "fr"}, format="json").status_code == 400
    back = client.patch("/api/auth/me", {"language": ""}, format="json")
    assert back.json()["language"] == "" and back.json()["time_zone"] == "Asia/Seoul"


@pytest.mark.django_db
def test_a_korean_treasurers_dues_are_announced_in_won_as_koreans_write_it(club, django_capture_on_commit_callbacks):
    club["treasurer"].user.language = "ko"
    club["treasurer"].user.save()
    with django_capture_on_commit_callbacks(execute=True):
        dues = club["treasurer"].post(f"/api/wallets/{club['group']}/dues", {"title": "3월 회비", "amount": 12_000})
    history = club["member"].get(f"/api/channels/{club['channel']}/messages").json()["results"]
    body = next(m["body"] for m in history if m["client_msg_id"] == f"sys:dues:{dues.json()['id']}")
    assert body == "treasurer 님이 “3월 회비” 12,000원을 요청했습니다. 채널 멤버 모두 club fund에 내 주세요."


@pytest.mark.django_db
def test_a_wrong_pin_says_how_many_tries_are_left_in_korean(person):
    alice = person("alice").open_wallet(deposit=1_000)
    bob = person("bob").open_wallet()
    alice.user.language = "ko"
    alice.user.save()
    browser = APIClient()
    browser.force_login(alice.user)
    body = {"from_wallet": alice.wallet_id, "to_wallet": bob.wallet_id, "amount": 10, "pin": "0000"}
    refused = browser.post("/api/transfers", body, format="json")
    assert refused.json()["detail"] == "PIN이 맞지 않습니다. 4번 더 틀리면 15분 동안 지갑이 잠깁니다."
    assert browser.post("/api/transfers", {**body, "pin": PIN}, format="json").status_code == 201
