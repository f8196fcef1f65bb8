"""The "require MFA" role policy: members without a second factor must enrol first."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, redirect, request, session, url_for
from flask_login import current_user, user_loaded_from_cookie, user_logged_in

from ..core.errors import render_error, wants_json
from ..core.htmx import hx_redirect, is_htmx

# Set in the session at sign-in for a member of a require-MFA role who has no second
# factor; a request without it costs nothing.
SESSION_KEY = "console_mfa_enrol"

# What such a user may still open: enrolment, re-authentication, sign-out, static files.
ALLOWED_ENDPOINTS = frozenset(
    {
        "console.static",
        "security.static",
        "security.logout",
        "security.verify",
        "security.us_verify",
        "security.us_verify_send_code",
        "security.us_verify_link",
        "security.wan_verify",
        "security.wan_verify_response",
        "security.two_factor_setup",
        "security.two_factor_setup_validate",
        "security.two_factor_token_validation",
        "security.us_setup",
        "security.us_setup_validate",
        "security.wan_register",
        "security.wan_register_response",
        "security.mf_recovery_codes",
        "mfa.enrol",
        "mfa.passkeys",
        "mfa.passkey_rename",
        "mfa.passkey_delete",
    }
)
EXTENSION_KEY = "console.mfa.enrolment_endpoints"


def allow_during_enrolment(app: Flask, *endpoints: str) -> None:
    """Let users who must enrol reach `endpoints` too (other features' setup pages)."""
    app.extensions.setdefault(EXTENSION_KEY, set()).update(endpoints)


def requires_mfa(user: Any) -> bool:
    """True when one of the user's roles requires a second factor."""
    return any(getattr(role, "require_mfa", False) for role in user.roles)


def must_enrol(user: Any) -> bool:
    """A member of a require-MFA role with no second factor yet."""
    from .flows import has_second_factor

    return requires_mfa(user) and not has_second_factor(user)


def _decide(sender: Any, user: Any, **_: Any) -> None:
    """At sign-in (or a remember-me restore) decide once whether this session must enrol."""
    state = current_app.extensions.get("console")
    if state is None or "console.mfa" not in state.features:
        return
    if must_enrol(user):
        session[SESSION_KEY] = True
    else:
        session.pop(SESSION_KEY, None)


def _allowed(endpoint: str | None) -> bool:
    if endpoint is None:
        return True
    if endpoint in ALLOWED_ENDPOINTS or endpoint.endswith(".static"):
        return True
    return endpoint in current_app.extensions.get(EXTENSION_KEY, ())


def enforce() -> Any:
    """before_request: keep a user who must enrol on the enrolment pages."""
    if SESSION_KEY not in session:
        return None
    if not current_user.is_authenticated:
        session.pop(SESSION_KEY, None)
        return None
    if _allowed(request.endpoint):
        return None
    # Only flagged sessions get here; enrolling (or losing the role) lifts the flag.
    if not must_enrol(current_user):
        session.pop(SESSION_KEY, None)
        return None
    if wants_json():
        return render_error(403)
    target = url_for("mfa.enrol")
    return hx_redirect(target) if is_htmx() else redirect(target)


def init_app(app: Flask) -> None:
    """Connect the sign-in receivers (once per process) and the per-request check."""
    user_logged_in.connect(_decide)
    user_loaded_from_cookie.connect(_decide)
    app.before_request(enforce)
