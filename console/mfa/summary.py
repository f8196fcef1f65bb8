"""The account holder's second factors as their security center shows them (read only):
the factors section's states and counts, and what it asks them to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_security.proxies import _security

from ..core import factors
from ..core.sections import Alert

# How many second factors an account has, as the center warns of it; each registered
# factor adds its own alerts (Factor.alerts).
NO_SECOND_FACTOR_ALERT = Alert(
    "no_second_factor",
    "warning",
    _l("Your account is protected by a password only. Add a second factor."),
)
ONE_SECOND_FACTOR_ALERT = Alert(
    "one_second_factor",
    "info",
    _l(
        "You have only one second factor. Add another, such as a passkey, so that "
        "losing one device does not lock you out."
    ),
)


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


def alerts(user: Any) -> list[Alert]:
    """What the security center asks `user` to do about their factors: how many second
    factors they have, then what each registered factor asks, in the registry's order."""
    count = sum(1 for factor in factors.set_up(user) if factor.second_factor)
    if count == 0:
        counted = [NO_SECOND_FACTOR_ALERT]
    else:
        counted = [ONE_SECOND_FACTOR_ALERT] if count == 1 else []
    return [*counted, *factors.alerts(user)]
