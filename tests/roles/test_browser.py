"""Taking a role from a member in Chromium: with JavaScript the button's dialog is the one
question; without it a confirmation page asks (axe finds nothing serious on it in either
theme, and it is answered from the keyboard)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.a11y.test_axe import assert_passes_axe_in_both_themes
from tests.browser.test_security_pages import sign_in
from tests.roles.conftest import ROLES_URL, member_ids, role_by_name

pytestmark = pytest.mark.browser


@pytest.fixture
def crew(make_user: Any) -> tuple[Any, Any, Any]:
    """The role Crew with two members."""
    first = make_user("first-crew@example.com", password=None, roles=["Crew"])
    second = make_user("second-crew@example.com", password=None, roles=["Crew"])
    return role_by_name("Crew"), first, second


def test_the_dialog_is_the_only_question_with_javascript(
    browser: Any, live_server: Any, operator: Any, crew: Any
) -> None:
    role, first, second = crew
    context = browser.new_context(color_scheme="light", reduced_motion="reduce")
    page = context.new_page()
    try:
        sign_in(page, live_server.url, operator.email, "operator password 1")
        page.goto(f"{live_server.url}{ROLES_URL}details/?id={role.id}")
        button = page.locator(f"tr[data-member='{first.id}'] button")
        # Dismissed: nothing is sent.
        page.once("dialog", lambda dialog: dialog.dismiss())
        button.click()
        assert member_ids(role) == {first.id, second.id}
        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_navigation():
            button.click()
        assert "/details/" in page.url
        assert "no longer has the role Crew" in page.inner_text("main")
        assert member_ids(role) == {second.id}
    finally:
        context.close()


def test_without_javascript_a_page_asks_and_the_keyboard_answers(
    browser: Any, live_server: Any, operator: Any, crew: Any
) -> None:
    role, first, second = crew
    quiet = browser.new_context(
        color_scheme="light", reduced_motion="reduce", java_script_enabled=False
    )
    page = quiet.new_page()
    try:
        sign_in(page, live_server.url, operator.email, "operator password 1")
        page.goto(f"{live_server.url}{ROLES_URL}details/?id={role.id}")
        with page.expect_navigation():
            page.locator(f"tr[data-member='{first.id}'] button").click()
        assert "Take the role Crew from first-crew@example.com?" in page.inner_text("main")
        assert member_ids(role) == {first.id, second.id}
        html = page.content()
    finally:
        quiet.close()

    # The same page, checked by axe (which needs JavaScript), then answered by keyboard.
    context = browser.new_context(color_scheme="light", reduced_motion="reduce")
    page = context.new_page()
    try:
        sign_in(page, live_server.url, operator.email, "operator password 1")
        page.goto(f"{live_server.url}{ROLES_URL}details/?id={role.id}")
        row = page.locator(f"tr[data-member='{first.id}'] button")
        row.evaluate("b => { b.removeAttribute('data-confirm'); }")
        with page.expect_navigation():
            row.click()
        assert page.inner_text("main h1") in html
        assert_passes_axe_in_both_themes(page)
        page.focus("main button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert member_ids(role) == {second.id}
    finally:
        context.close()
