"""The strict Content-Security-Policy in a real browser: the pages beyond the messenger (whose
tests also fail on any violation, see conftest.new_page) work under it without one."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.browser.helpers import PASSWORD, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_guard_sees_a_violation(node, new_page):
    page = new_page()
    page.goto(f"{node.http_url}/accounts/signin/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1'; document.body.append(s); }"
    )
    page.wait_for_timeout(200)  # the violation event reaches the console
    assert any("script-src" in violation for violation in page.csp_violations)
    assert page.evaluate("() => window.x") is None  # the inline script did not run
    page.csp_violations.clear()


def test_the_api_docs_render_under_the_policy(node, new_page):
    page = new_page()
    page.goto(f"{node.http_url}/api/docs/")
    expect(page.get_by_text("Group wallet messenger API").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/auth/signup").first).to_be_visible()
    expect(page.get_by_text("4503").first).to_be_attached()  # the WebSocket close codes in the description


def test_the_admin_works_under_the_policy(node, new_page):
    page = new_page()
    sign_up(page, node, "root")
    get_user_model().objects.filter(username="root").update(is_staff=True, is_superuser=True)
    page.goto(f"{node.http_url}/admin/accounts/user/")
    expect(page.get_by_role("link", name="root@example.com")).to_be_visible()
    page.get_by_role("link", name="root@example.com").click()
    expect(page.get_by_label("Display name")).to_have_value("root")  # the name sign-up uses too
    fresh = new_page()  # the admin's own sign-in page
    fresh.goto(f"{node.http_url}/admin/login/")
    fresh.get_by_label("Email").fill("root@example.com")
    fresh.get_by_label("Password").fill(PASSWORD)
    fresh.get_by_role("button", name="Log in").click()
    expect(fresh.get_by_role("heading", name="Site administration")).to_be_visible()
