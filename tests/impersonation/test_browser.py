"""In Chromium: the operator starts from the user's page, sees the banner on pages and after
an HTMX swap, every page involved passes axe and fits at every width in both themes, and
Stop works from the keyboard."""

from __future__ import annotations

import pytest

from tests.a11y.test_axe import COLOUR_RULES, describe, set_theme, violations
from tests.a11y.test_keyboard import tab_to
from tests.browser.test_layout import OVERFLOW, THEMES, WIDTHS
from tests.browser.test_security_pages import sign_in
from tests.impersonation.conftest import OPERATOR_PASSWORD, REASON

pytestmark = pytest.mark.browser


def _fits_and_passes_axe(page) -> list[str]:
    """axe in both themes and the layout check at every width: the problems found."""
    problems = []
    set_theme(page, "light")
    if found := violations(page):
        problems.append(f"{page.url} (light): {describe(found)}")
    set_theme(page, "dark")
    if found := violations(page, COLOUR_RULES):
        problems.append(f"{page.url} (dark): {describe(found)}")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for theme in THEMES:
            set_theme(page, theme)
            if found := page.evaluate(OVERFLOW):
                problems.append(f"{page.url} at {width}px, {theme}: {found[:5]}")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    set_theme(page, "light")
    return problems


def test_impersonation_in_the_browser(browser, live_server, operator, make_user):
    base = live_server.url
    member = make_user(
        "mia.member@example.com",
        password="member password 1",
        name="Mia Member",
    )
    context = browser.new_context(color_scheme="light", reduced_motion="reduce")
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    try:
        sign_in(page, base, operator.email, OPERATOR_PASSWORD)
        page.goto(f"{base}/admin/users/{member.id}/")
        with page.expect_navigation():
            page.click("[data-action=impersonate]")
        assert page.url.endswith(f"/admin/users/{member.id}/impersonate/")
        problems += _fits_and_passes_axe(page)

        page.fill("#reason", REASON)
        with page.expect_navigation():
            page.click("[data-action=impersonate]")
        banner = page.locator("[data-testid=impersonation-banner]")
        assert banner.count() == 1
        assert f"Olive Operator is signed in as {member.email}." in banner.inner_text()
        assert page.locator("[data-testid=signed-in-as]").inner_text() == member.email
        problems += _fits_and_passes_axe(page)

        page.goto(f"{base}/account/sessions/")
        problems += _fits_and_passes_axe(page)
        # An HTMX swap keeps (and refreshes) the banner.
        page.evaluate("() => htmx.ajax('GET', window.location.pathname, {target: '#main'})")
        page.wait_for_function("() => !document.querySelector('.htmx-request')")
        assert page.locator("[data-testid=impersonation-banner]").count() == 1
        assert page.locator("header [data-testid=impersonation-banner]").count() == 1

        page.goto(f"{base}/change")
        assert "are theirs alone" in page.locator("main").inner_text()
        problems += _fits_and_passes_axe(page)

        # Stop, from the keyboard.
        page.goto(f"{base}/account/")
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        tab_to(page, "[data-testid=impersonation-stop]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("[data-testid=impersonation-banner]").count() == 0
        assert page.locator("[data-testid=signed-in-as]").inner_text() == operator.email
        assert "You are signed in as yourself again." in page.locator("main").inner_text()
    finally:
        context.close()
    assert not problems, "\n".join(problems)
