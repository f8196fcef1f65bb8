"""The second factors' part of the security center: their states, and what it asks the
account holder to do about them."""

from __future__ import annotations

import re

from tests.account.helpers import page_text
from tests.mfa.helpers import enrol_totp


def _warnings(body: str) -> list[str]:
    return re.findall(r'data-warning="([a-z_]+)"', body)


def test_a_password_only_account_is_warned(member_client):
    body = page_text(member_client.get("/account/"))
    assert "no_second_factor" in _warnings(body)
    assert 'data-section="second_factors"' in body


def test_one_factor_and_no_recovery_codes_are_warned(member_client):
    enrol_totp(member_client)
    body = page_text(member_client.get("/account/"))
    warnings = _warnings(body)
    assert {"one_second_factor", "no_recovery_codes"} <= set(warnings)
    assert "no_second_factor" not in warnings
    # How many factors there are first, then what each factor asks.
    assert warnings.index("one_second_factor") < warnings.index("no_recovery_codes")


def test_alerts_of_registered_factors_are_shown(app, member_client):
    from sqlalchemy import false

    from console.core import factors

    factors.register(
        app,
        factors.Factor(
            key="test_factor",
            label="Test factor",
            is_set_up=lambda user: False,
            condition=false,
            second_factor=False,
            reset=lambda user: None,
            alerts=lambda user: [factors.Alert("test_alert", "info", f"Hello {user.email}")],
        ),
    )
    body = page_text(member_client.get("/account/"))
    assert {"test_alert", "no_second_factor"} <= set(_warnings(body))
    assert "Hello member@example.com" in body
