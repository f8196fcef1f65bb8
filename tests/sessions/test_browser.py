"""Chromium: signing out everywhere else from one browser ends the other on its next click."""

from __future__ import annotations

import re

import pytest

from tests.sessions.conftest import FAST_HASHING, PASSWORD

pytestmark = [pytest.mark.browser, FAST_HASHING]


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("[type=submit][name=submit], #submit")
    page.goto(f"{base}/account/sessions/")


def test_sign_out_everywhere_else_ends_the_other_browser(browser, live_server, member):
    contexts = [browser.new_context(color_scheme="light") for _ in range(2)]
    try:
        first, second = (context.new_page() for context in contexts)
        for page in (first, second):
            page.set_default_timeout(10_000)
            _sign_in(page, live_server.url, member.email)
        first.reload()
        assert first.locator("[data-testid=my-sessions] tbody tr").count() == 2
        assert first.locator("tr[data-current=true]").count() == 1

        first.once("dialog", lambda dialog: dialog.accept())
        first.get_by_role("button", name="Sign out everywhere else").click()
        first.locator("[data-announce]").wait_for()
        # The list was swapped in place: same page, one session left, no reload.
        assert first.url.endswith("/account/sessions/")
        assert first.locator("[data-testid=my-sessions] tbody tr").count() == 1
        assert first.locator("tr[data-current=true]").count() == 1

        second.locator("[data-nav='sessions.mine']").click()
        second.wait_for_url(re.compile(r".*/login.*"))
        assert second.locator("input[name=password]").count() == 1
        assert "Your session has ended" in second.content()

        first.reload()
        assert first.locator("[data-testid=signed-in-as]").inner_text() == member.email
    finally:
        for context in contexts:
            context.close()
