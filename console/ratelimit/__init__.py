"""Rate limits on Flask-Security's own endpoints that check a credential or send mail.

The counting lives in console.core.ratelimit; each feature declares its own endpoints there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

from ..core import ratelimit

if TYPE_CHECKING:
    from ..core.state import ConsoleState

# POST only (a GET shows a form), except the e-mail links in GET_ENDPOINTS.
CREDENTIAL_ENDPOINTS = (
    "security.login",
    "security.verify",
    "security.two_factor_token_validation",
    "security.mf_recovery",
    "security.us_signin",
    "security.us_verify",
    "security.wan_signin",
    "security.wan_signin_response",
    "security.wan_verify",
    "security.wan_verify_response",
    "security.reset_password",
    "security.confirm_email",
    "security.us_verify_link",
    "security.two_factor_setup_validate",
    "security.us_setup_validate",
)
MAIL_ENDPOINTS = (
    "security.forgot_password",
    "security.send_confirmation",
    "security.register",
    "security.change_email",
    "security.recover_username",
    "security.two_factor_rescue",
    "security.us_signin_send_code",
    "security.us_verify_send_code",
    "security.two_factor_setup",
    "security.us_setup",
)
# Links that check a token or code on GET (Flask-Security's e-mail links).
GET_ENDPOINTS = frozenset({"security.us_verify_link", "security.confirm_email"})


def init_app(app: Flask, state: ConsoleState) -> None:
    """Declare Flask-Security's credential and mail endpoints as rate limited."""
    for endpoint in CREDENTIAL_ENDPOINTS:
        ratelimit.limit(app, endpoint, "credentials", on_get=endpoint in GET_ENDPOINTS)
    for endpoint in MAIL_ENDPOINTS:
        ratelimit.limit(app, endpoint, "mail", on_get=endpoint in GET_ENDPOINTS)
