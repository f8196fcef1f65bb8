"""The console's own signals; the audit trail connects its receivers to them in one place."""

from __future__ import annotations

from typing import Any

from blinker import Namespace
from flask import current_app

_signals = Namespace()

# Sent for every security-relevant change the console itself makes (operator actions,
# self-service changes, session ends, lockouts). Flask-Security's own signals cover the
# ceremonies it runs (sign-in, password reset, factor changes ...).
#   sender:  the Flask app
#   action:  dotted verb, e.g. "admin.user.updated", "session.revoked", "mfa.reset"
#   actor:   the User who acted, or None for the system / an anonymous visitor
#   subject: the User acted upon, or None
#   details: JSON-serialisable dict; for edits {"changes": {field: [before, after]}},
#            secrets already redacted
console_event = _signals.signal("console-event")


def emit(action: str, *, actor: Any = None, subject: Any = None, **details: Any) -> None:
    """Send `console_event` for the current app."""
    console_event.send(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        action=action,
        actor=actor,
        subject=subject,
        details=details,
    )
