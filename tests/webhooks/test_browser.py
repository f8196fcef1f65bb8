"""The pages only a POST shows (the secret after adding an endpoint, the form with its
errors) pass axe in both themes; adding an endpoint works without JavaScript."""

from __future__ import annotations

import pytest

from tests.a11y.test_axe import assert_passes_axe_in_both_themes
from tests.browser.test_security_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.settings(CONSOLE_WEBHOOKS_ALLOW_PRIVATE=True)]


def _add(page, base: str, url: str, group: str | None) -> None:
    page.goto(f"{base}/admin/webhooks/new/")
    page.fill("#url", url)
    if group:
        page.check(f"#events-group-{group}")
    with page.expect_navigation():
        page.click("button[type=submit].btn-primary")


@pytest.mark.parametrize("javascript", [True, False])
def test_the_form_errors_and_the_secret_page(browser, live_server, operator, receiver, javascript):
    context = browser.new_context(
        color_scheme="light",
        reduced_motion="reduce",
        java_script_enabled=javascript,
        bypass_csp=True,
    )
    page = context.new_page()
    try:
        sign_in(page, live_server.url, operator.email, "operator password 1")
        _add(page, live_server.url, "ftp://nowhere", None)
        assert page.locator("#url-error").count() == 1
        assert page.locator("#event_types-error").count() == 1
        if javascript:
            assert_passes_axe_in_both_themes(page)
        _add(page, live_server.url, receiver.url, "sign_in")
        assert page.input_value("#new-secret-value").startswith("whsec_")
        if javascript:
            assert_passes_axe_in_both_themes(page)
    finally:
        context.close()
