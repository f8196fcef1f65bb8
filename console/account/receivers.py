"""Flask-Security's and the recovery codes' signals, connected to the account flows."""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, session
from flask_login import current_user
from flask_security import signals as fs
from sqlalchemy import event

from ..mfa.recovery import codes
from ..models import User
from . import flows

_PREVIOUS = "_console_tf_method_before"


@event.listens_for(User.tf_primary_method, "set", active_history=True)
def _remember_previous_method(target: User, value: Any, old: Any, initiator: Any) -> None:
    # Flask-Security has already cleared the method when tf_disabled is sent; keep what
    # it was so the audit trail can say which factor went away.
    if not hasattr(target, _PREVIOUS):
        setattr(target, _PREVIOUS, old if isinstance(old, str) else None)


def _previous_method(user: Any) -> str | None:
    user = flows.real(user)
    previous = getattr(user, _PREVIOUS, None)
    if hasattr(user, _PREVIOUS):
        delattr(user, _PREVIOUS)
    return previous


def _by_the_user(user: Any) -> bool:
    """True when the account holder made this change (not an operator, not the CLI)."""
    if not has_request_context():
        return False
    if current_user.is_authenticated:
        return current_user.id == user.id
    # In the middle of a sign-in: Flask-Security keeps who is signing in in the session.
    return session.get("tf_user_id") == user.fs_uniquifier


def _password_changed(app: Flask, user: Any, **extra: Any) -> None:
    flows.password_changed(user)


def _email_changed(app: Flask, user: Any, old_email: str, **extra: Any) -> None:
    flows.email_changed(user, old_email)


def _profile_changed(app: Flask, user: Any, method: str, **extra: Any) -> None:
    # Sent only by the account holder's own set-up pages; the audit trail records this
    # fact through the flow alone.
    flows.second_factor_enabled(user, method, _previous_method(user))


def _code_confirmed(app: Flask, user: Any, method: str, **extra: Any) -> None:
    # Sent for every two-factor sign-in; only "validating_profile" is an enrolment
    # (a member of a role that requires MFA setting up a factor while signing in).
    previous = _previous_method(user)
    if session.get("tf_state") == "validating_profile" and _by_the_user(user):
        flows.second_factor_enabled(user, method, previous)


def _disabled(app: Flask, user: Any, **extra: Any) -> None:
    # Flask-Security sends this from the account holder's own pages (an operator's reset
    # goes through console/mfa/flows.py); the flow is the one record of it.
    flows.second_factor_disabled(user, _previous_method(user))


def _codes_generated(app: Flask, user: Any, count: int, **extra: Any) -> None:
    if _by_the_user(user):
        flows.recovery_codes_generated(user, count)


def _code_used(app: Flask, user: Any, remaining: int, **extra: Any) -> None:
    flows.recovery_code_used(user, remaining)


def connect(app: Flask) -> None:
    """Connect every receiver for `app` (signals are sent with the app as sender)."""
    pairs = (
        (fs.password_changed, _password_changed),
        (fs.password_reset, _password_changed),
        (fs.change_email_confirmed, _email_changed),
        (fs.tf_profile_changed, _profile_changed),
        (fs.tf_code_confirmed, _code_confirmed),
        (fs.tf_disabled, _disabled),
        (codes.codes_generated, _codes_generated),
        (codes.code_used, _code_used),
    )
    for signal, receiver in pairs:
        signal.connect(receiver, sender=app)
