"""The security state of one account, as the security center shows it (read only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_security.proxies import _security

from ..core import factors

# Few enough that the user should make new ones before they run out.
FEW_RECOVERY_CODES = 2

WARNINGS: dict[str, tuple[str, Any]] = {
    "no_second_factor": (
        "warning",
        _l("Your account is protected by a password only. Add a second factor."),
    ),
    "one_second_factor": (
        "info",
        _l(
            "You have only one second factor. Add another, such as a passkey, so that "
            "losing one device does not lock you out."
        ),
    ),
    "no_recovery_codes": (
        "warning",
        _l("You have no recovery codes. Generate them and keep them somewhere safe."),
    ),
    "few_recovery_codes": (
        "warning",
        _l("You are running out of recovery codes. Generate new ones."),
    ),
    "email_unconfirmed": ("warning", _l("Your email address is not confirmed yet.")),
    "password_change_required": ("warning", _l("You are asked to change your password.")),
}


@dataclass(frozen=True)
class Warning:
    """Something the user should act on; `level` is a Bootstrap alert kind."""

    key: str
    level: str
    text: Any


@dataclass
class SecuritySummary:
    """Everything the security center shows; never a secret, only states and counts."""

    has_password: bool
    password_changed_at: datetime | None
    email: str
    email_confirmed_at: datetime | None
    two_factor_method: str | None
    email_codes: str
    passkeys: int
    recovery_codes: int
    # Keys of the registered factors set up, and how many of them are second factors.
    factors: tuple[str, ...] = ()
    second_factors: int = 0
    warnings: list[Warning] = field(default_factory=list)

    @property
    def totp_enabled(self) -> bool:
        return "authenticator" in self.factors


def summarize(user: Any) -> SecuritySummary:
    """The summary for `user`; which factors count comes from the factor registry."""
    config = current_app.config
    method = user.tf_primary_method or None
    found = factors.set_up(user)
    keys = tuple(factor.key for factor in found)
    if "email" in keys:
        email_codes = "primary"
    elif "authenticator" in keys and config["SECURITY_TWO_FACTOR_RESCUE_EMAIL"]:
        email_codes = "fallback"
    else:
        email_codes = "off"
    summary = SecuritySummary(
        has_password=bool(user.password),
        password_changed_at=user.password_changed_at,
        email=user.email,
        email_confirmed_at=user.confirmed_at,
        two_factor_method=method,
        email_codes=email_codes,
        passkeys=len(user.webauthn),
        recovery_codes=_security.mf_recovery_codes_util.remaining(user),
        factors=keys,
        second_factors=sum(1 for factor in found if factor.second_factor),
    )
    summary.warnings = [Warning(key, *WARNINGS[key]) for key in _warning_keys(summary, user)]
    return summary


def _warning_keys(summary: SecuritySummary, user: Any) -> list[str]:
    keys = []
    if summary.second_factors == 0:
        keys.append("no_second_factor")
    elif summary.second_factors == 1:
        keys.append("one_second_factor")
    if summary.second_factors and summary.recovery_codes == 0:
        keys.append("no_recovery_codes")
    elif 0 < summary.recovery_codes <= FEW_RECOVERY_CODES:
        keys.append("few_recovery_codes")
    if summary.email_confirmed_at is None:
        keys.append("email_unconfirmed")
    if user.password_change_required:
        keys.append("password_change_required")
    return keys
