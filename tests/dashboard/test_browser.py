"""In Chromium: sign-ins and an operator action appear on the dashboard, and the audit view
filters them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_security_pages import sign_in

pytestmark = pytest.mark.browser


def _actions(page) -> list[str]:
    return page.eval_on_selector_all(
        "#audit-rows tr[data-action]", "rows => rows.map(r => r.dataset.action)"
    )


def test_dashboard_and_audit_view_after_sign_ins(browser, live_server, operator, make_user):
    base = live_server.url
    make_user("walter@example.com", password="walter password 1")
    make_user("xena@example.com", password="xena password 1")

    visitor = browser.new_context()
    try:
        page = visitor.new_page()
        sign_in(page, base, "walter@example.com", "walter password 1")
        assert page.locator("[data-testid=signed-in-as]").inner_text() == "walter@example.com"
        page.context.clear_cookies()
        sign_in(page, base, "xena@example.com", "not her password")
        assert "/login" in page.url
    finally:
        visitor.close()

    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, base, operator.email, "operator password 1")
        page.wait_for_url(f"{base}/admin/dashboard/")
        assert page.locator("[data-figure=sign-ins-30]").inner_text() == "2"
        assert page.locator("[data-figure=failures-30]").inner_text() == "1"
        assert page.locator("#recent-events tr[data-action='user.login_failed']").count() == 1
        assert page.locator("svg[data-chart=sign-ins] title").first.text_content()

        # An operator action: exporting the trail is itself recorded.
        page.goto(f"{base}/admin/audit/")
        with page.expect_download() as download:
            page.click("[data-testid=export-csv]")
        assert "user.login_failed" in Path(download.value.path()).read_text()
        page.goto(f"{base}/admin/dashboard/")
        assert page.locator("#recent-events tr[data-action='audit.exported']").count() == 1

        page.goto(f"{base}/admin/audit/")
        page.fill("#filter-action", "user.login_failed")
        with page.expect_navigation():
            page.click("#audit-filters button[type=submit]")
        assert _actions(page) == ["user.login_failed"]
        assert "xena@example.com" in page.locator("#audit-rows").inner_text()

        page.fill("#filter-action", "")
        page.fill("#filter-actor", "walt")
        with page.expect_navigation():
            page.click("#audit-filters button[type=submit]")
        assert _actions(page) == ["user.login"]

        page.click("#audit-rows tr[data-action='user.login'] a")
        page.wait_for_url(f"{base}/admin/audit/*")
        assert "walter@example.com" in page.locator("main").inner_text()
    finally:
        context.close()
