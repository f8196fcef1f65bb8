"""Consequences of operator decisions at sign-in: a required password change, invitees."""

from __future__ import annotations

from typing import Any

from flask import Flask, flash, redirect
from flask_babel import gettext as _
from flask_login import current_user
from flask_security import naive_utcnow, url_for_security
from flask_security.signals import password_changed, password_reset

from ..core import gates
from ..core.htmx import hx_redirect, is_htmx
from .flows import confirm_invitee

# The pages that let a user who must change their password do it: the form, and the
# re-authentication Flask-Security may ask for first.
ALLOWED_ENDPOINTS = frozenset(
    {
        "security.change_password",
        "security.verify",
        "security.us_verify",
        "security.us_verify_send_code",
        "security.us_verify_link",
        "security.wan_verify",
        "security.wan_verify_response",
    }
)


def _must_change_password() -> bool:
    return bool(current_user.is_authenticated and current_user.password_change_required)


def _to_change_password() -> Any:
    target = url_for_security("change_password")
    if is_htmx():
        return hx_redirect(target)
    flash(
        _("An administrator requires you to choose a new password before you continue."), "warning"
    )
    return redirect(target)


def _password_changed(sender: Any, user: Any = None, **extra: Any) -> None:
    if user is not None:
        user.password_change_required = False
        user.password_changed_at = naive_utcnow()


def _password_reset(sender: Any, user: Any = None, **extra: Any) -> None:
    if user is not None:
        _password_changed(sender, user)
        confirm_invitee(user)


def init_app(app: Flask) -> None:
    """Gate every request of a user who must change their password; clear it once done."""
    gates.register(
        app,
        gates.Gate(
            key="password_change",
            holds=_must_change_password,
            respond=_to_change_password,
            endpoints=ALLOWED_ENDPOINTS,
            order=10,
        ),
    )
    # Flask-Security sends these before its view commits, so the changes ride along.
    password_changed.connect(_password_changed, weak=False)
    password_reset.connect(_password_reset, weak=False)
