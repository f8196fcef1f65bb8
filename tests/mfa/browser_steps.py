"""Chromium steps shared by the second-factor browser tests."""

from __future__ import annotations

import subprocess
import time
from typing import Any

from tests.account.helpers import PASSWORD


def oathtool(key: str, steps: int = 0) -> str:
    """The code Debian's oathtool computes for `key`, `steps` time steps from now."""
    when = int(time.time()) + 30 * steps
    result = subprocess.run(
        ["oathtool", "--totp", "-b", key, "-N", f"@{when}"],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def sign_in_with_password(page: Any, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("[type=submit][name=submit], #submit")


def sign_out(page: Any) -> None:
    page.click("header details.account-menu > summary")  # sign out is in the account menu
    with page.expect_navigation():
        page.click("header form[action$='/logout'] button[type=submit]")


def enrol_authenticator(page: Any, base: str) -> str:
    """Set up an authenticator app from the setup page; returns the key it shows."""
    page.goto(f"{base}/tf-setup")
    page.check("input[name=setup][value=authenticator]")
    with page.expect_navigation():
        page.click("form[name=two_factor_setup_form] [type=submit]")
    assert page.locator("[data-testid=totp-setup] svg[role=img]").count() == 1
    key = page.inner_text("[data-testid=totp-key]").replace(" ", "")
    page.fill("form[name=two_factor_verify_code_form] input[name=code]", oathtool(key))
    with page.expect_navigation():
        page.click("form[name=two_factor_verify_code_form] [type=submit]")
    return key


def enter_code(page: Any, code: str) -> None:
    page.fill("form[name=two_factor_verify_code_form] input[name=code]", code)
    with page.expect_navigation():
        page.click("form[name=two_factor_verify_code_form] [type=submit]")


def add_virtual_authenticator(page: Any) -> None:
    """A DevTools virtual authenticator on `page`: a roaming (usb) key with a resident key
    and user verification, which Flask-Security asks for with a first-factor passkey."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
