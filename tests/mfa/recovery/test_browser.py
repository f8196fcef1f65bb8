"""Chromium: make recovery codes, download them, sign in with one, and it fails a second time."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mfa.browser_steps import enrol_authenticator, sign_in_with_password, sign_out

pytestmark = pytest.mark.browser


def _use_recovery_code(page, code: str) -> None:
    page.check("input[name=help_setup][value=recovery_code]")
    with page.expect_navigation():
        page.click("form[name=two_factor_rescue_form] [type=submit]")
    assert "/mf-recovery" in page.url
    page.fill("form[name=mf_recovery_form] input[name=code]", code)
    with page.expect_navigation():
        page.click("form[name=mf_recovery_form] [type=submit]")


def test_a_recovery_code_signs_in_once(page, live_server, member, tmp_path):
    base = live_server.url
    sign_in_with_password(page, base, member.email)
    enrol_authenticator(page, base)
    with page.expect_navigation():
        page.click("form[name=mf_recovery_codes_form] [type=submit]")
    codes = page.locator("[data-testid=recovery-codes] [data-code]").all_inner_texts()
    assert len(codes) == 10
    with page.expect_download() as download:
        page.click("a[download]")
    saved = tmp_path / "codes.txt"
    download.value.save_as(saved)
    assert all(code in Path(saved).read_text() for code in codes)
    page.goto(f"{base}/mf-recovery-codes")
    assert page.locator("[data-code]").count() == 0
    sign_out(page)

    sign_in_with_password(page, base, member.email)
    _use_recovery_code(page, codes[0])
    assert page.inner_text("[data-testid=signed-in-as]") == member.email
    sign_out(page)

    sign_in_with_password(page, base, member.email)
    _use_recovery_code(page, codes[0])
    assert "/mf-recovery" in page.url
    assert page.locator("[data-testid=signed-in-as]").count() == 0
    assert page.locator(".fs-error-msg").count() >= 1
