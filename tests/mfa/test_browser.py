"""Chromium with a DevTools virtual authenticator: passkeys, security keys, resets, policy."""

from __future__ import annotations

import re

import pytest

from tests.mfa.browser_steps import add_virtual_authenticator

pytestmark = pytest.mark.browser

PASSWORD = "browser password 1"


def _authenticator(page) -> None:
    add_virtual_authenticator(page)


def _csp_violations(page) -> list[str]:
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return seen


def _sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("[type=submit][name=submit], #submit")


def _sign_out(page) -> None:
    page.click("header details.account-menu > summary")  # sign out is in the account menu
    with page.expect_navigation():
        page.click("header form[action$='/logout'] button[type=submit]")


def _add_key(page, base: str, name: str, usage: str) -> None:
    page.goto(f"{base}/account/passkeys")
    page.fill("#passkey-name", name)
    page.check(f"#usage-{usage}")
    page.click("#passkey-register-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/account/passkeys$"))
    page.locator("#passkey-rows th", has_text=name).wait_for()


def _signed_in_as(page) -> str:
    return page.locator("[data-testid=signed-in-as]").inner_text()


def test_register_a_passkey_and_sign_in_without_a_password(page, live_server, make_user):
    violations = _csp_violations(page)
    make_user("passkey@example.com", password=PASSWORD)
    _authenticator(page)
    _sign_in(page, live_server.url, "passkey@example.com")
    _add_key(page, live_server.url, "Chromium passkey", "first")
    assert "Sign-in without password" in page.locator("#passkey-rows").inner_text()
    _sign_out(page)

    page.goto(f"{live_server.url}/wan-signin")
    page.click("#wan_signin")
    page.wait_for_url(re.compile(r"^(?!.*wan-signin).*$"))
    assert _signed_in_as(page) == "passkey@example.com"
    assert violations == []


def test_a_security_key_as_the_second_step(page, live_server, make_user):
    violations = _csp_violations(page)
    make_user("twostep@example.com", password=PASSWORD)
    _authenticator(page)
    _sign_in(page, live_server.url, "twostep@example.com")
    _add_key(page, live_server.url, "Chromium key", "secondary")
    _sign_out(page)

    _sign_in(page, live_server.url, "twostep@example.com")
    page.wait_for_url(re.compile(r".*/wan-signin.*"))
    assert page.locator("[data-testid=signed-in-as]").count() == 0
    page.click("#wan_signin")
    page.wait_for_url(re.compile(r"^(?!.*wan-signin).*$"))
    assert _signed_in_as(page) == "twostep@example.com"
    assert violations == []


def test_an_operator_resets_a_users_mfa_and_the_user_is_mailed(
    page, live_server, operator, make_user, outbox
):
    from flask_security.proxies import _datastore, _security

    user = make_user("locked.out@example.com", password=PASSWORD)
    _datastore.tf_set(user, "authenticator", _security._totp_factory.generate_totp_secret())
    _datastore.commit()
    _sign_in(page, live_server.url, operator.email, "operator password 1")
    page.goto(f"{live_server.url}/admin/mfa/?method=authenticator&user=locked")
    with page.expect_navigation():
        page.click("text=Reset all")
    page.fill("#reason", "Phone lost; identity checked by the help desk")
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    assert page.locator("[data-flash=success]").count() == 1
    mails = [m for m in outbox() if user.email in m.recipient_list()]
    assert mails and "identity checked by the help desk" in mails[-1].body_text


def test_require_mfa_sends_a_member_to_enrolment(page, live_server, make_user):
    from console.extensions import db

    user = make_user("guarded@example.com", password=PASSWORD, roles=["Guarded"])
    user.roles[0].require_mfa = True
    db.session.commit()
    _sign_in(page, live_server.url, user.email)
    page.wait_for_url(re.compile(r".*/account/mfa-required$"))
    assert page.locator("[data-testid=mfa-required]").count() == 1
    page.goto(f"{live_server.url}/admin/outbox/")
    assert page.url.endswith("/account/mfa-required")
