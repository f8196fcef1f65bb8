"""Flask-Security's sign-in, password and email signals, connected to the account flows."""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context
from flask_security import signals as fs

from . import flows, new_device


def _password_changed(app: Flask, user: Any, **extra: Any) -> None:
    flows.password_changed(user)


def _email_changed(app: Flask, user: Any, old_email: str, **extra: Any) -> None:
    flows.email_changed(user, old_email)


def _signed_in(app: Flask, user: Any, authn_via: Any = None, **extra: Any) -> None:
    # Every completed sign-in (after its second factor): password, passkey, codes, links.
    if has_request_context():
        new_device.signed_in(user, authn_via)


def connect(app: Flask) -> None:
    """Connect every receiver for `app` (signals are sent with the app as sender)."""
    pairs = (
        (fs.user_authenticated, _signed_in),
        (fs.password_changed, _password_changed),
        (fs.password_reset, _password_changed),
        (fs.change_email_confirmed, _email_changed),
    )
    for signal, receiver in pairs:
        signal.connect(receiver, sender=app)
