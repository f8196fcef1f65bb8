"""The "require MFA" role policy: members without a second factor must enrol first."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, redirect, session, url_for
from flask_login import current_user, user_loaded_from_cookie, user_logged_in

from ..core import factors, gates, mfa_waiver
from ..core.errors import render_error, wants_json
from ..core.htmx import hx_redirect, is_htmx

# Set in the session at sign-in for a member of a require-MFA role who has no second
# factor; a request without it costs nothing.
SESSION_KEY = "console_mfa_enrol"

# What such a user may still open: enrolment and re-authentication (sign-out and static
# files are open to every gate).
ALLOWED_ENDPOINTS = frozenset(
    {
        "security.verify",
        "security.us_verify",
        "security.us_verify_send_code",
        "security.us_verify_link",
        "security.wan_verify",
        "security.wan_verify_response",
        "security.oauth_verify_start",
        "security.oauth_verify_response",
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


def requires_mfa(user: Any) -> bool:
    """True when one of the user's roles requires a second factor."""
    return any(getattr(role, "require_mfa", False) for role in user.roles)


def must_enrol(user: Any) -> bool:
    """A member of a require-MFA role with no second factor yet (as the registry says)."""
    return requires_mfa(user) and not factors.has_second_factor(user)


def _decide(sender: Any, user: Any, **_: Any) -> None:
    """At sign-in (or a remember-me restore) decide once whether this session must enrol."""
    state = current_app.extensions.get("console")
    if state is None or "console.mfa" not in state.features:
        return
    # A sign-in the policy counts as multi-factor (an identity provider's) needs no factor.
    if must_enrol(user) and not mfa_waiver.waived(user):
        session[SESSION_KEY] = True
    else:
        session.pop(SESSION_KEY, None)


def holds() -> bool:
    """True while this session must enrol before anything else."""
    if SESSION_KEY not in session:
        return False
    # Only flagged sessions get here; enrolling (or losing the role) lifts the flag.
    if not current_user.is_authenticated or not must_enrol(current_user):
        session.pop(SESSION_KEY, None)
        return False
    return True


def to_enrolment() -> Any:
    """Send a user who must enrol to the enrolment page (a JSON client gets a 403)."""
    if wants_json():
        return render_error(403)
    target = url_for("mfa.enrol")
    return hx_redirect(target) if is_htmx() else redirect(target)


def init_app(app: Flask) -> None:
    """Connect the sign-in receivers (once per process) and the enrolment gate."""
    user_logged_in.connect(_decide)
    user_loaded_from_cookie.connect(_decide)
    gates.register(
        app,
        gates.Gate(
            key="mfa_enrolment",
            holds=holds,
            respond=to_enrolment,
            endpoints=ALLOWED_ENDPOINTS,
            order=20,
        ),
    )
