"""Every signal the audit trail listens to, connected in one place, with its arguments."""

from __future__ import annotations

from typing import Any

import flask_security.signals as fs
from flask import Flask, Response, current_app, g, request
from flask_login import current_user, user_logged_out

from ..core.signals import console_event
from . import flows


def _signed_in() -> Any:
    """The signed-in user, or None (an anonymous visitor, the CLI)."""
    try:
        user = current_user._get_current_object()
    except RuntimeError:  # no request: the CLI or a background job
        return None
    return user if getattr(user, "is_authenticated", False) else None


def _actor_or(user: Any) -> Any:
    """Who acted: the signed-in user, else the account whose own ceremony this is."""
    return _signed_in() or user


def _auditing(app: Any) -> bool:
    return bool(getattr(app, "extensions", {}).get("console_audit"))


# ---------------------------------------------------------------------------------------
# Flask-Security 5.9 signals (flask_security/signals.py). Each receiver gets the sender
# (the Flask app) and the keyword arguments listed above it.
# ---------------------------------------------------------------------------------------


# user_authenticated: user, authn_via (list of how: "password", "webauthn", "change" ...)
def on_user_authenticated(app: Any, user: Any, authn_via: Any = None, **_: Any) -> None:
    via = list(authn_via or [])
    # Changing the password signs the user in again with the new one; that is not a sign-in.
    action = "user.session_renewed" if via == ["change"] else "user.login"
    g.console_audit_login_outcome = True
    flows.record(action, actor=user, subject=user, details={"via": via})


# user_failed_authn: user, auth_type ("password", "passcode", "passkey", "code"), tfa (bool)
def on_user_failed_authn(app: Any, user: Any, auth_type: str = "", tfa: bool = False, **_: Any):
    g.console_audit_login_outcome = True
    flows.record(
        "user.login_failed",
        actor=_signed_in(),
        subject=user,
        details={"auth_type": auth_type, "second_factor": bool(tfa)},
    )


# user_unauthenticated: (no arguments) - an anonymous request reached a page that
# Flask-Security protects.
def on_user_unauthenticated(app: Any, **_: Any) -> None:
    flows.record("access.unauthenticated", details={"path": request.path[:255]})


# user_registered: user, confirm_token, confirmation_token, form_data (holds the password:
# never recorded)
def on_user_registered(app: Any, user: Any, **_: Any) -> None:
    flows.record("user.registered", actor=_actor_or(user), subject=user)


# user_not_registered: user (the existing account or None), existing_email,
# existing_username, form_data - sign-up with an address or username already in use.
def on_user_not_registered(
    app: Any,
    user: Any = None,
    existing_email: bool = False,
    existing_username: bool = False,
    **_: Any,
) -> None:
    flows.record(
        "user.register_existing",
        subject=user,
        details={
            "existing_email": bool(existing_email),
            "existing_username": bool(existing_username),
        },
    )


# user_confirmed: user
def on_user_confirmed(app: Any, user: Any, **_: Any) -> None:
    flows.record("user.confirmed", actor=_actor_or(user), subject=user)


# confirm_instructions_sent: user, token, confirmation_token
def on_confirm_instructions_sent(app: Any, user: Any, **_: Any) -> None:
    flows.record("user.confirm_instructions_sent", actor=_signed_in(), subject=user)


# login_instructions_sent: user, login_token (passwordless sign-in link)
def on_login_instructions_sent(app: Any, user: Any, **_: Any) -> None:
    flows.record("user.login_link_sent", actor=_signed_in(), subject=user)


# password_reset: user - the password was set through a reset link.
def on_password_reset(app: Any, user: Any, **_: Any) -> None:
    flows.record("user.password_reset", actor=_actor_or(user), subject=user)


# password_changed: user
def on_password_changed(app: Any, user: Any, **_: Any) -> None:
    flows.record(
        "user.password_changed",
        actor=_actor_or(user),
        subject=user,
        details={"changes": {"password": ["", ""]}},
    )


# reset_password_instructions_sent: user, token, reset_token
def on_reset_password_instructions_sent(app: Any, user: Any, **_: Any) -> None:
    flows.record("user.password_reset_requested", actor=_signed_in(), subject=user)


# refresh_tracker_created: user, refresh_tracker
def on_refresh_tracker_created(app: Any, user: Any, refresh_tracker: Any = None, **_: Any) -> None:
    flows.record("api.refresh_token.created", actor=_actor_or(user), subject=user)


# refresh_tracker_revoked: user, refresh_tracker, refresh_errors
def on_refresh_tracker_revoked(app: Any, user: Any, refresh_errors: Any = None, **_: Any) -> None:
    flows.record(
        "api.refresh_token.revoked",
        actor=_signed_in(),
        subject=user,
        details={"reason": str(refresh_errors)[:200] if refresh_errors else ""},
    )


# tf_code_confirmed: user, method - a second factor completed a sign-in or a set-up.
def on_tf_code_confirmed(app: Any, user: Any, method: str = "", **_: Any) -> None:
    flows.record("mfa.two_factor.confirmed", actor=user, subject=user, details={"method": method})


# tf_profile_changed (user, method) and tf_disabled (user) are one fact each with the
# MFA feature's "mfa.<factor>.enabled" / "mfa.<factor>.disabled", which name the factor
# and what it replaced: console/mfa/receivers.py records them, nothing here.


# tf_security_token_sent: user, method, token, login_token, phone_number
def on_tf_security_token_sent(app: Any, user: Any, method: str = "", **_: Any) -> None:
    flows.record(
        "mfa.two_factor.code_sent", actor=_signed_in(), subject=user, details={"method": method}
    )


# us_profile_changed: user, methods (list), delete (bool)
def on_us_profile_changed(app: Any, user: Any, methods: Any = None, delete: bool = False, **_: Any):
    flows.record(
        "mfa.unified.changed",
        actor=_actor_or(user),
        subject=user,
        details={"methods": list(methods or []), "removed": bool(delete)},
    )


# us_security_token_sent: user, method, token, login_token, phone_number, send_magic_link
def on_us_security_token_sent(app: Any, user: Any, method: str = "", **_: Any) -> None:
    flows.record(
        "mfa.unified.code_sent", actor=_signed_in(), subject=user, details={"method": method}
    )


# wan_registered: user, name
def on_wan_registered(app: Any, user: Any, name: str = "", **_: Any) -> None:
    flows.record(
        "mfa.webauthn.registered", actor=_actor_or(user), subject=user, details={"name": name}
    )


# wan_deleted: user, name
def on_wan_deleted(app: Any, user: Any, name: str = "", **_: Any) -> None:
    flows.record(
        "mfa.webauthn.removed", actor=_actor_or(user), subject=user, details={"name": name}
    )


# change_email_instructions_sent: user, new_email, token
def on_change_email_instructions_sent(app: Any, user: Any, new_email: str = "", **_: Any) -> None:
    flows.record(
        "user.email_change_requested",
        actor=_actor_or(user),
        subject=user,
        details={"new_email": new_email},
    )


# change_email_confirmed: user, old_email
def on_change_email_confirmed(app: Any, user: Any, old_email: str = "", **_: Any) -> None:
    flows.record(
        "user.email_changed",
        actor=_actor_or(user),
        subject=user,
        details={"changes": {"email": [old_email, user.email]}},
    )


# username_recovery_email_sent: user
def on_username_recovery_email_sent(app: Any, user: Any, **_: Any) -> None:
    flows.record("user.username_recovery_requested", actor=_signed_in(), subject=user)


# username_changed: user, old_username
def on_username_changed(app: Any, user: Any, old_username: str | None = None, **_: Any) -> None:
    flows.record(
        "user.username_changed",
        actor=_actor_or(user),
        subject=user,
        details={"changes": {"username": [old_username, user.username]}},
    )


FLASK_SECURITY_RECEIVERS = {
    fs.user_authenticated: on_user_authenticated,
    fs.user_failed_authn: on_user_failed_authn,
    fs.user_unauthenticated: on_user_unauthenticated,
    fs.user_registered: on_user_registered,
    fs.user_not_registered: on_user_not_registered,
    fs.user_confirmed: on_user_confirmed,
    fs.confirm_instructions_sent: on_confirm_instructions_sent,
    fs.login_instructions_sent: on_login_instructions_sent,
    fs.password_reset: on_password_reset,
    fs.password_changed: on_password_changed,
    fs.reset_password_instructions_sent: on_reset_password_instructions_sent,
    fs.refresh_tracker_created: on_refresh_tracker_created,
    fs.refresh_tracker_revoked: on_refresh_tracker_revoked,
    fs.tf_code_confirmed: on_tf_code_confirmed,
    fs.tf_security_token_sent: on_tf_security_token_sent,
    fs.us_profile_changed: on_us_profile_changed,
    fs.us_security_token_sent: on_us_security_token_sent,
    fs.wan_registered: on_wan_registered,
    fs.wan_deleted: on_wan_deleted,
    fs.change_email_instructions_sent: on_change_email_instructions_sent,
    fs.change_email_confirmed: on_change_email_confirmed,
    fs.username_recovery_email_sent: on_username_recovery_email_sent,
    fs.username_changed: on_username_changed,
}


# ---------------------------------------------------------------------------------------
# Flask-Login
# ---------------------------------------------------------------------------------------


# user_logged_out: user - Flask-Security's logout ends in Flask-Login's logout_user().
def on_user_logged_out(app: Any, user: Any = None, **_: Any) -> None:
    if user is not None and getattr(user, "is_authenticated", False):
        flows.record("user.logout", actor=user, subject=user)


# ---------------------------------------------------------------------------------------
# The console's own signal (console/core/signals.py)
# ---------------------------------------------------------------------------------------


# console_event: action (dotted verb), actor (User or None), subject (User or None),
# details (dict; edits carry {"changes": {field: [before, after]}}; redacted again here).
def on_console_event(
    app: Any, action: str, actor: Any = None, subject: Any = None, details: Any = None, **_: Any
) -> None:
    flows.record(action, actor=actor, subject=subject, details=dict(details or {}))


# ---------------------------------------------------------------------------------------
# A sign-in attempt for an account that does not exist (or that may not sign in) sends no
# Flask-Security signal. After a credential form was posted and neither the success nor
# the failure signal fired, the attempt is recorded here. The response is untouched, so
# nothing tells the visitor whether the account exists.
# ---------------------------------------------------------------------------------------

SIGN_IN_FORMS = {
    # endpoint: (identity fields, secret field)
    "security.login": (("email", "username"), "password"),
    "security.us_signin": (("identity",), "passcode"),
}


def _form_value(name: str) -> str:
    if request.is_json:
        body = request.get_json(silent=True)
        value = body.get(name) if isinstance(body, dict) else None
    else:
        value = request.form.get(name)
    return value.strip() if isinstance(value, str) else ""


def record_unmatched_sign_in(response: Response) -> Response:
    """Record a posted sign-in that neither succeeded nor failed against an account."""
    form = SIGN_IN_FORMS.get(request.endpoint or "")
    if (
        form is None
        or request.method != "POST"
        or g.get("console_audit_login_outcome")
        # A locked account's refusal: the lockout records it ("user.login_refused").
        or g.get("console_lockout_refused")
        or not _auditing(current_app)
        or response.status_code not in (200, 400, 401)
        or _signed_in() is not None
    ):
        return response
    if current_app.config.get("WTF_CSRF_ENABLED", True) and g.get("csrf_valid") is False:
        return response
    identities, secret = form
    identity = next((v for v in map(_form_value, identities) if v), "")
    # PostgreSQL refuses NUL in text: such input cannot name an account anyway.
    identity = identity.replace("\x00", "")[:320]
    if not identity or not _form_value(secret):
        return response
    from flask_security.proxies import _datastore

    user = _datastore.find_user(case_insensitive=True, email=identity) or (
        _datastore.find_user(case_insensitive=True, username=identity)
        if "@" not in identity
        else None
    )
    flows.record(
        "user.login_failed",
        subject=user,
        details={"identity": identity[:320], "auth_type": secret, "second_factor": False},
    )
    return response


def connect(app: Flask) -> None:
    """Connect every receiver for `app` (and only for it)."""
    app.extensions["console_audit"] = True
    for signal, receiver in FLASK_SECURITY_RECEIVERS.items():
        signal.connect(receiver, sender=app)
    user_logged_out.connect(on_user_logged_out, sender=app)
    console_event.connect(on_console_event, sender=app)
    app.after_request(record_unmatched_sign_in)
