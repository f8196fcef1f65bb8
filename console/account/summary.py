"""The security state of one account, as the security center shows it (read only): its
password and email address, and what the account holder is asked to act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from ..core import sections
from ..core.sections import Alert

# The center's own alerts, about the password and the address; the sections other features
# contribute (second factors, passkeys...) add theirs before these (Section.alerts).
WARNINGS: dict[str, tuple[str, Any]] = {
    "email_unconfirmed": ("warning", _l("Your email address is not confirmed yet.")),
    "password_change_required": ("warning", _l("You are asked to change your password.")),
}


@dataclass
class SecuritySummary:
    """The account's own part of the security center (features add sections); never a
    secret, only states."""

    has_password: bool
    password_changed_at: datetime | None
    email: str
    email_confirmed_at: datetime | None
    warnings: list[Alert] = field(default_factory=list)


def summarize(user: Any) -> SecuritySummary:
    """The summary for `user`, with the alerts of the center's sections before its own."""
    summary = SecuritySummary(
        has_password=bool(user.password),
        password_changed_at=user.password_changed_at,
        email=user.email,
        email_confirmed_at=user.confirmed_at,
    )
    summary.warnings = [*sections.alerts("account", user), *_alerts(_identity_keys(summary, user))]
    return summary


def _alerts(keys: list[str]) -> list[Alert]:
    return [Alert(key, *WARNINGS[key]) for key in keys]


def _identity_keys(summary: SecuritySummary, user: Any) -> list[str]:
    keys = []
    if summary.email_confirmed_at is None:
        keys.append("email_unconfirmed")
    if user.password_change_required:
        keys.append("password_change_required")
    return keys
