"""Chromium signs in through the form, and every Flask-Security page wears the console layout."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

ANONYMOUS_PAGES = [
    "/login",
    "/register",
    "/reset",
    "/confirm",
    "/us-signin",
    "/wan-signin",
    "/recover-username",
]
SIGNED_IN_PAGES = [
    "/change",
    "/change-email",
    "/tf-setup",
    "/us-setup",
    "/wan-register",
    "/mf-recovery-codes",
    "/verify",
    "/us-verify",
    "/wan-verify",
]


def sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("[type=submit][name=submit], #submit")


def assert_in_layout(page, theme: str) -> None:
    assert page.locator("header nav.navbar").count() == 1, page.url
    assert page.locator("main#main [data-fs-page]").count() == 1, page.url
    assert page.locator("a.skip-link").count() == 1
    assert page.get_attribute("html", "data-bs-theme") == theme


def test_operator_signs_in_through_the_form(page, live_server, operator):
    sign_in(page, live_server.url, operator.email, "operator password 1")
    page.wait_for_url(re.compile(r".*/admin/outbox/.*|.*/$"))
    assert page.locator("[data-testid=signed-in-as]").inner_text() == operator.email


def test_wrong_password_stays_on_the_form_with_an_error(page, live_server, operator):
    sign_in(page, live_server.url, operator.email, "not the password")
    assert "/login" in page.url
    assert page.locator(".fs-error-msg, .alert-danger").count() >= 1


@pytest.mark.settings(SECURITY_REGISTERABLE=True)
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_security_page_renders_inside_the_layout(browser, live_server, make_user, theme):
    context = browser.new_context(color_scheme=theme)
    page = context.new_page()
    try:
        for path in ANONYMOUS_PAGES:
            page.goto(live_server.url + path)
            assert_in_layout(page, theme)
        user = make_user("pages@example.com", password="pages password 1")
        sign_in(page, live_server.url, user.email, "pages password 1")
        page.wait_for_load_state()
        for path in SIGNED_IN_PAGES:
            page.goto(live_server.url + path)
            assert "/login" not in page.url, path
            assert_in_layout(page, theme)
    finally:
        context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_two_factor_pages_render_inside_the_layout(browser, live_server, make_user, theme):
    from flask_security.proxies import _security

    secret = _security._totp_factory.generate_totp_secret()
    make_user(
        "tf@example.com",
        password="tf password 123",
        tf_primary_method="email",
        tf_totp_secret=secret,
    )
    context = browser.new_context(color_scheme=theme)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "tf@example.com", "tf password 123")
        page.wait_for_url(re.compile(".*/tf-validate.*"))
        assert_in_layout(page, theme)
        for path in ("/tf-select", "/mf-recovery", "/tf-rescue"):
            page.goto(live_server.url + path)
            assert_in_layout(page, theme)
    finally:
        context.close()


def test_theme_toggle_is_remembered(page, live_server):
    page.goto(live_server.url + "/login")
    assert page.get_attribute("html", "data-bs-theme") == "light"
    page.click("#theme-toggle")
    assert page.get_attribute("html", "data-bs-theme") == "dark"
    page.reload()
    assert page.get_attribute("html", "data-bs-theme") == "dark"
