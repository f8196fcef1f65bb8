"""The passkey made in Chromium on the application before the console signs in after it."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.mfa.browser_steps import add_virtual_authenticator, sign_in_with_password
from tests.support.browser import LiveServer

from .conftest import ACCOUNTS, PASSKEY_EMAIL, PREFIX, Quickstart, run

pytestmark = pytest.mark.browser


def _passkeys(app: Flask, model: Any, db: Any) -> list[str]:
    with app.app_context():
        names = list(db.session.scalars(sa.select(model.name)))
        db.session.remove()
    return names


def test_a_passkey_registered_before_adoption_signs_in_after_it(
    page: Any, quickstart: Quickstart, console_app: Flask
):
    from examples.fsqla_quickstart import before

    add_virtual_authenticator(page)
    # Before: the user registers a passkey on Flask-Security's own page.
    server = LiveServer(quickstart.app).start()
    try:
        sign_in_with_password(page, server.url, PASSKEY_EMAIL, ACCOUNTS[PASSKEY_EMAIL][0])
        page.goto(f"{server.url}/wan-register")
        page.fill("input[name=name]", "Laptop passkey")
        page.check("input[name=usage][value=first]")
        page.click("#wan-register-form [type=submit]")
        page.get_by_text("Currently registered passkeys").wait_for()
    finally:
        server.stop()
    assert _passkeys(quickstart.app, before.WebAuthn, before.db) == ["Laptop passkey"]

    assert run(console_app, "console", "adopt").exit_code == 0
    page.context.clear_cookies()
    # After: the same credential, from the same authenticator, on the console's page.
    server = LiveServer(console_app).start()
    try:
        page.goto(f"{server.url}{PREFIX}/wan-signin")
        page.click("#wan_signin")
        page.wait_for_url(re.compile(r"^(?!.*wan-signin).*$"))
        page.goto(f"{server.url}/")
        assert page.inner_text("body") == f"Hello {PASSKEY_EMAIL}"
    finally:
        server.stop()
