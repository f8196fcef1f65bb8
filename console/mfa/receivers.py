"""Flask-Security's two-factor, WebAuthn and recovery codes' signals, connected to the MFA
flows: the account holder's own set-ups and removals of a second factor."""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, session
from flask_login import current_user
from flask_security import signals as fs
from sqlalchemy import event

from . import flows
from .recovery import codes

_PREVIOUS = "_console_tf_method_before"


def _remember_previous_method(target: Any, value: Any, old: Any, initiator: Any) -> None:
    # Flask-Security has already cleared the method when tf_disabled is sent; keep what
    # it was so the audit trail can say which factor went away.
    if not hasattr(target, _PREVIOUS):
        setattr(target, _PREVIOUS, old if isinstance(old, str) else None)


def _real(user: Any) -> Any:
    """The User behind Flask-Login's current_user proxy, which Flask-Security may send."""
    getter = getattr(user, "_get_current_object", None)
    return getter() if getter else user


def _previous_method(user: Any) -> str | None:
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


# tf_profile_changed: user, method - sent only by the account holder's own set-up pages;
# the audit trail records this fact through the flow alone.
def _profile_changed(app: Flask, user: Any, method: str, **extra: Any) -> None:
    user = _real(user)
    flows.second_factor_enabled(user, method, _previous_method(user))


# tf_code_confirmed: user, method - sent for every two-factor sign-in; only
# "validating_profile" is an enrolment (a member of a role that requires MFA setting up a
# factor while signing in).
def _code_confirmed(app: Flask, user: Any, method: str, **extra: Any) -> None:
    user = _real(user)
    previous = _previous_method(user)
    if session.get("tf_state") == "validating_profile" and _by_the_user(user):
        flows.second_factor_enabled(user, method, previous)


# tf_disabled: user - sent from the account holder's own pages (an operator's reset goes
# through console/mfa/flows.py); the flow is the one record of it.
def _disabled(app: Flask, user: Any, **extra: Any) -> None:
    user = _real(user)
    flows.second_factor_disabled(user, _previous_method(user))


# codes_generated: user, count (console/mfa/recovery/codes.py)
def _codes_generated(app: Flask, user: Any, count: int, **extra: Any) -> None:
    user = _real(user)
    if _by_the_user(user):
        flows.recovery_codes_generated(user, count)


# code_used: user, remaining (console/mfa/recovery/codes.py)
def _code_used(app: Flask, user: Any, remaining: int, **extra: Any) -> None:
    flows.recovery_code_used(_real(user), remaining)


# wan_registered: user, name - Flask-Security stored a new passkey or security key (the
# audit trail records the signal itself; console/audit/receivers.py).
def _key_registered(app: Flask, user: Any, name: str, **extra: Any) -> None:
    flows.record_registration(_real(user), name)


def connect(app: Flask, user_model: type[Any]) -> None:
    """Connect every receiver for `app` (signals are sent with the app as sender), and
    watch the two-factor method of `user_model`, the app's configured user model."""
    attribute = user_model.tf_primary_method
    if not event.contains(attribute, "set", _remember_previous_method):
        event.listen(attribute, "set", _remember_previous_method, active_history=True)
    pairs = (
        (fs.tf_profile_changed, _profile_changed),
        (fs.tf_code_confirmed, _code_confirmed),
        (fs.tf_disabled, _disabled),
        (codes.codes_generated, _codes_generated),
        (codes.code_used, _code_used),
        (fs.wan_registered, _key_registered),
    )
    for signal, receiver in pairs:
        signal.connect(receiver, sender=app)
