"""The security state of one account, as the security center shows it (read only): its
password and email address, and what the factor registry says of its second factors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from ..core import factors
from ..core.factors import Alert

# The center's own alerts; each registered factor adds its own (Factor.alerts).
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
    "email_unconfirmed": ("warning", _l("Your email address is not confirmed yet.")),
    "password_change_required": ("warning", _l("You are asked to change your password.")),
}


@dataclass
class SecuritySummary:
    """The account's own part of the security center (features add sections); never a
    secret, only states and counts."""

    has_password: bool
    password_changed_at: datetime | None
    email: str
    email_confirmed_at: datetime | None
    # Keys of the registered factors set up, and how many of them are second factors.
    factors: tuple[str, ...] = ()
    second_factors: int = 0
    warnings: list[Alert] = field(default_factory=list)


def summarize(user: Any) -> SecuritySummary:
    """The summary for `user`; which factors count, and what each of them asks the user
    to do, comes from the factor registry."""
    found = factors.set_up(user)
    summary = SecuritySummary(
        has_password=bool(user.password),
        password_changed_at=user.password_changed_at,
        email=user.email,
        email_confirmed_at=user.confirmed_at,
        factors=tuple(factor.key for factor in found),
        second_factors=sum(1 for factor in found if factor.second_factor),
    )
    summary.warnings = [
        *_alerts(_factor_count_keys(summary)),
        *factors.alerts(user),
        *_alerts(_identity_keys(summary, user)),
    ]
    return summary


def _alerts(keys: list[str]) -> list[Alert]:
    return [Alert(key, *WARNINGS[key]) for key in keys]


def _factor_count_keys(summary: SecuritySummary) -> list[str]:
    if summary.second_factors == 0:
        return ["no_second_factor"]
    return ["one_second_factor"] if summary.second_factors == 1 else []


def _identity_keys(summary: SecuritySummary, user: Any) -> list[str]:
    keys = []
    if summary.email_confirmed_at is None:
        keys.append("email_unconfirmed")
    if user.password_change_required:
        keys.append("password_change_required")
    return keys
