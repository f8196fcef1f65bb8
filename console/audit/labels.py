"""Readable names for audit actions (the dotted verb is shown when none is known)."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import lazy_gettext as _l

LABELS: dict[str, Any] = {
    "user.login": _l("Signed in"),
    "user.login_failed": _l("Failed sign-in"),
    "user.logout": _l("Signed out"),
    "user.session_renewed": _l("Session renewed"),
    "user.registered": _l("Registered"),
    "user.register_existing": _l("Sign-up with an address in use"),
    "user.confirmed": _l("Email address confirmed"),
    "user.confirm_instructions_sent": _l("Confirmation mail sent"),
    "user.login_link_sent": _l("Sign-in link sent"),
    "user.password_changed": _l("Password changed"),
    "user.password_reset": _l("Password reset"),
    "user.password_reset_requested": _l("Password reset requested"),
    "user.email_change_requested": _l("Email change requested"),
    "user.email_changed": _l("Email address changed"),
    "user.username_changed": _l("Username changed"),
    "user.username_recovery_requested": _l("Username reminder sent"),
    "access.unauthenticated": _l("Protected page requested without signing in"),
    "api.refresh_token.created": _l("API refresh token issued"),
    "api.refresh_token.revoked": _l("API refresh token revoked"),
    "mfa.totp.changed": _l("Authenticator app set up"),
    "mfa.two_factor.changed": _l("Two-factor method changed"),
    "mfa.two_factor.confirmed": _l("Second factor confirmed"),
    "mfa.two_factor.disabled": _l("Two-factor authentication turned off"),
    "mfa.two_factor.code_sent": _l("Two-factor code sent"),
    "mfa.unified.changed": _l("Sign-in methods changed"),
    "mfa.unified.code_sent": _l("Sign-in code sent"),
    "mfa.webauthn.registered": _l("Security key or passkey added"),
    "mfa.webauthn.removed": _l("Security key or passkey removed"),
    "mfa.reset": _l("Second factors reset"),
    "session.revoked": _l("Session ended"),
    "admin.user.updated": _l("Account edited by an operator"),
    "audit.exported": _l("Audit trail exported"),
    "audit.purged": _l("Old audit events purged"),
}


def label(action: str) -> Any:
    """The readable name of `action`."""
    return LABELS.get(action, action)


def parsed(details: str | None) -> dict[str, Any]:
    """An event's details as a dict (empty when unreadable)."""
    try:
        value = json.loads(details or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def changes(details: str | None) -> list[tuple[str, Any, Any]]:
    """The (field, before, after) rows of an edit's diff."""
    found = parsed(details).get("changes")
    if not isinstance(found, dict):
        return []
    rows = []
    for name, pair in sorted(found.items()):
        before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        rows.append((name, before, after))
    return rows
