"""Consequences of operator decisions at sign-in: a required password change, invitees."""

from __future__ import annotations

from typing import Any

from flask import Flask, flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_security import naive_utcnow, url_for_security
from flask_security.signals import password_changed, password_reset

from ..core.htmx import hx_redirect, is_htmx
from .flows import confirm_invitee

# Where a user who must change their password may still go.
ALLOWED_ENDPOINTS = frozenset({"security.change_password", "security.logout"})


def _must_change_password() -> Any:
    endpoint = request.endpoint or ""
    if endpoint in ALLOWED_ENDPOINTS or endpoint.endswith(".static"):
        return None
    if not current_user.is_authenticated or not current_user.password_change_required:
        return None
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
    app.before_request(_must_change_password)
    # Flask-Security sends these before its view commits, so the changes ride along.
    password_changed.connect(_password_changed, weak=False)
    password_reset.connect(_password_reset, weak=False)
