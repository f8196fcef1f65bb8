"""The leaving pages in Chromium, without JavaScript shortcuts: axe finds nothing serious in
either theme, the confirmation is done from the keyboard, and a wrong one is announced."""

from __future__ import annotations

from typing import Any

import pytest

from tests.a11y.test_axe import assert_passes_axe_in_both_themes
from tests.browser.test_security_pages import sign_in
from tests.conftest import MEMBER_PASSWORD

pytestmark = pytest.mark.browser


def test_deleting_from_the_keyboard_with_a_wrong_then_right_confirmation(
    browser: Any, live_server: Any, member: Any
) -> None:
    context = browser.new_context(color_scheme="light", reduced_motion="reduce")
    page = context.new_page()
    try:
        sign_in(page, live_server.url, member.email, MEMBER_PASSWORD)
        page.goto(live_server.url + "/account/")
        assert_passes_axe_in_both_themes(page)
        page.click("[data-link=delete-account]")
        page.wait_for_url("**/account/delete")
        assert_passes_axe_in_both_themes(page)

        page.focus("input[name=confirmation]")
        page.keyboard.type("not-me@example.com")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        field = page.locator("input[name=confirmation]")
        assert field.get_attribute("aria-invalid") == "true"
        assert "confirmation-errors" in (field.get_attribute("aria-describedby") or "")
        assert_passes_axe_in_both_themes(page)

        field.fill(member.email)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "/login" in page.url
        assert "will be deleted on" in page.inner_text("main")
    finally:
        context.close()


def test_the_data_page_downloads_the_file(browser: Any, live_server: Any, member: Any) -> None:
    context = browser.new_context(
        color_scheme="light", reduced_motion="reduce", accept_downloads=True
    )
    page = context.new_page()
    try:
        sign_in(page, live_server.url, member.email, MEMBER_PASSWORD)
        page.goto(live_server.url + "/account/data")
        assert_passes_axe_in_both_themes(page)
        with page.expect_download() as download:
            page.click("main button[type=submit]")
        assert download.value.suggested_filename.startswith(f"personal-data-{member.id}-")
    finally:
        context.close()
