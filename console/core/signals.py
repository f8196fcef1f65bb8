"""The console's own signals; the audit trail connects its receivers to them in one place."""

from __future__ import annotations

from typing import Any

from blinker import Namespace
from flask import current_app, g, has_request_context

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

# Sent once after each commit that wrote audit events, with the events that commit wrote,
# in chain order; never for a transaction that rolled back. Consumers that must see each
# fact exactly once (webhooks, a log stream) listen here rather than to console_event.
#   sender:  the Flask app (None outside an application context)
#   events:  list of dicts, one per stored event: action, created_at, actor_id,
#            actor_email, subject_id, subject_email, ip, user_agent, request_id,
#            details (canonical JSON text), prev_hash, hash
# The committing session cannot run SQL while this is sent: a receiver that needs the
# database queues its work or opens a session of its own.
events_committed = _signals.signal("events-committed")


# `g` key: details every event of the current request carries, such as the provisioning
# client that asked for the change (a SCIM request names its token).
CONTEXT = "console_event_context"


def add_context(**details: Any) -> None:
    """Add `details` to every event the current request emits from now on."""
    g.setdefault(CONTEXT, {}).update(details)


def context() -> dict[str, Any]:
    """The details every event of the current request carries (none outside a request);
    the audit trail adds them to the events it records from Flask-Security's signals too."""
    return dict(g.get(CONTEXT) or {}) if has_request_context() else {}


def emit(action: str, *, actor: Any = None, subject: Any = None, **details: Any) -> None:
    """Send `console_event` for the current app."""
    details = {**context(), **details}
    console_event.send(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        action=action,
        actor=actor,
        subject=subject,
        details=details,
    )
