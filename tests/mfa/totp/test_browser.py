"""Chromium: enrol an authenticator with oathtool's codes, sign in, and replay a code."""

from __future__ import annotations

import pytest

from tests.mfa.browser_steps import (
    enrol_authenticator,
    enter_code,
    oathtool,
    sign_in_with_password,
    sign_out,
)

pytestmark = pytest.mark.browser


def test_enrol_sign_in_and_a_replayed_code_is_refused(page, live_server, member):
    base = live_server.url
    sign_in_with_password(page, base, member.email)
    key = enrol_authenticator(page, base)
    # A first factor leads straight on to recovery codes.
    assert page.url.endswith("/mf-recovery-codes")
    sign_out(page)

    code = oathtool(key, steps=1)
    sign_in_with_password(page, base, member.email)
    assert "/tf-validate" in page.url
    enter_code(page, code)
    assert "/tf-validate" not in page.url
    assert page.inner_text("[data-testid=signed-in-as]") == member.email
    page.goto(f"{base}/account/")
    assert page.locator("[data-row=totp] .badge").inner_text() == "On"
    sign_out(page)

    sign_in_with_password(page, base, member.email)
    enter_code(page, code)
    assert "/tf-validate" in page.url
    assert page.locator("[data-testid=signed-in-as]").count() == 0
    assert page.locator(".fs-error-msg, .alert-danger").count() >= 1
