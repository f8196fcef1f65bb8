"""Flask-Login and Flask-Security signals that start and end registry sessions, in one place."""

from __future__ import annotations

from typing import Any

from flask import Flask, flash, g, has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import user_logged_in, user_logged_out
from flask_security import signals as fs

from ..core.signals import console_event
from . import flows

OTHERS_ENDED = _l("Your other sessions were signed out.")


def _on_logged_in(app: Flask, user: Any = None, **_: Any) -> None:
    # Flask-Login sends this for every sign-in: password, second factor, unified sign-in,
    # passkey, email link, reset, registration, and any host code calling login_user.
    if has_request_context() and user is not None:
        flows.begin(user)


def _on_authenticated(app: Flask, user: Any = None, authn_via: Any = None, **_: Any) -> None:
    if has_request_context():
        flows.describe_authentication(authn_via)


def _on_code_confirmed(app: Flask, user: Any = None, method: Any = None, **_: Any) -> None:
    if has_request_context():
        g.console_tf_method = method


def _on_logged_out(app: Flask, user: Any = None, **_: Any) -> None:
    if has_request_context():
        actor = user if getattr(user, "is_authenticated", False) else None
        flows.end_current("signed_out", actor=actor)


def _ender(reason: str, notify: bool) -> Any:
    """A receiver ending the user's other sessions (keeping this browser's if it is theirs)."""

    def receiver(app: Flask, user: Any = None, **_: Any) -> None:
        if user is None or not has_request_context():
            return
        current = flows.current()
        keep = current if current is not None and current.user_id == user.id else None
        if flows.end_other_sessions(user, keep=keep, actor=user, reason=reason) and notify:
            flash(str(OTHERS_ENDED), "info")

    receiver.__name__ = f"end_other_sessions_on_{reason}"
    return receiver


def _on_console_event(app: Flask, action: str = "", subject: Any = None, **extra: Any) -> None:
    # Whatever deactivates an account (operator page, bulk action, CLI) announces it here;
    # the ends join that flow's transaction.
    if action == "admin.user.deactivated" and subject is not None:
        flows.end_all_sessions(
            subject, actor=extra.get("actor"), reason="deactivated", commit=False
        )


# Held at module level: blinker keeps weak references to receivers.
RECEIVERS: list[tuple[Any, Any]] = [
    (user_logged_in, _on_logged_in),
    (fs.user_authenticated, _on_authenticated),
    (fs.tf_code_confirmed, _on_code_confirmed),
    (user_logged_out, _on_logged_out),
    (fs.password_changed, _ender("password_changed", notify=True)),
    (fs.password_reset, _ender("password_reset", notify=False)),
    (fs.change_email_confirmed, _ender("email_changed", notify=True)),
    (fs.tf_profile_changed, _ender("mfa_changed", notify=True)),
    (fs.tf_disabled, _ender("mfa_changed", notify=True)),
    (fs.wan_registered, _ender("mfa_changed", notify=True)),
    (fs.wan_deleted, _ender("mfa_changed", notify=True)),
    (fs.us_profile_changed, _ender("mfa_changed", notify=True)),
    (console_event, _on_console_event),
]


def init_app(app: Flask) -> None:
    """Connect every receiver for `app` only (tests build many apps in one process)."""
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, sender=app, weak=False)
