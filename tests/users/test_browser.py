"""In Chromium: invite a user, they set a password and sign in; the operator finds and
deactivates them by typing into the search box, and the user is signed out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("[type=submit][name=submit], #submit")


def test_invite_sign_in_search_and_deactivate(browser, page, live_server, operator, outbox):
    base = live_server.url
    sign_in(page, base, operator.email, "operator password 1")
    page.goto(f"{base}/admin/users/new/")
    page.fill("#email", "browser.invitee@example.com")
    page.fill("#name", "Browser Invitee")
    with page.expect_navigation():
        page.click("button[type=submit]:has-text('Create and invite')")
    assert "browser.invitee@example.com" in page.inner_text("main")

    message = [m for m in outbox() if "browser.invitee@example.com" in m.recipient_list()][-1]
    link = re.search(r"https?://\S+/reset/\S+", message.body_text).group(0)

    invitee_context = browser.new_context()
    invitee = invitee_context.new_page()
    try:
        invitee.goto(link)
        password = "invitee chosen password 7"
        invitee.fill("input[name=password]", password)
        invitee.fill("input[name=password_confirm]", password)
        with invitee.expect_navigation():
            invitee.click("[type=submit][name=submit], #submit")
        sign_in(invitee, base, "browser.invitee@example.com", password)
        signed_in_as = invitee.locator("[data-testid=signed-in-as]")
        assert signed_in_as.inner_text() == "browser.invitee@example.com"

        # The operator types part of the address: htmx swaps the rows, no page load.
        page.goto(f"{base}/admin/users/")
        page.evaluate("window.__sameDocument = true")
        page.locator("#user-search").press_sequentially("browser.inv", delay=40)
        rows = page.locator("#user-rows tr[data-user-id]")
        # Each keystroke may answer; the last one pushes its query into the address bar.
        expect(page).to_have_url(re.compile(r"q=browser\.inv(&|$)"))
        expect(rows).to_have_count(1)
        assert "browser.invitee@example.com" in rows.first.inner_text()
        assert page.evaluate("window.__sameDocument") is True

        rows.first.locator("input[type=checkbox]").check()
        page.select_option("#bulk-action", "deactivate")
        with page.expect_navigation():
            page.click("#bulk-form button[type=submit]")
        assert "browser.invitee@example.com" in page.inner_text("[data-testid=confirm-users]")
        with page.expect_navigation():
            page.click("[data-testid=confirm-action]")
        assert page.locator(".alert-success").count() == 1

        invitee.goto(f"{base}/change")
        assert "/login" in invitee.url
        assert invitee.locator("[data-testid=signed-in-as]").count() == 0
    finally:
        invitee_context.close()
