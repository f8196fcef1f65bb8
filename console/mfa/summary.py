"""The account holder's second factors as their security center shows them (read only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_security.proxies import _security

from ..core import factors


@dataclass(frozen=True)
class FactorSummary:
    """States and counts only, never a secret."""

    two_factor_method: str | None
    totp_enabled: bool
    # "primary" (the second factor), "fallback" (sent when the app is not at hand) or "off".
    email_codes: str
    passkeys: int
    recovery_codes: int


def summarize(user: Any) -> FactorSummary:
    """The summary for `user`; which factors are set up comes from the factor registry."""
    keys = {factor.key for factor in factors.set_up(user)}
    if "email" in keys:
        email_codes = "primary"
    elif "authenticator" in keys and current_app.config["SECURITY_TWO_FACTOR_RESCUE_EMAIL"]:
        email_codes = "fallback"
    else:
        email_codes = "off"
    return FactorSummary(
        two_factor_method=user.tf_primary_method or None,
        totp_enabled="authenticator" in keys,
        email_codes=email_codes,
        passkeys=len(user.webauthn),
        recovery_codes=_security.mf_recovery_codes_util.remaining(user),
    )
