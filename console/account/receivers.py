"""Flask-Security's password and email signals, connected to the account flows."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_security import signals as fs

from . import flows


def _password_changed(app: Flask, user: Any, **extra: Any) -> None:
    flows.password_changed(user)


def _email_changed(app: Flask, user: Any, old_email: str, **extra: Any) -> None:
    flows.email_changed(user, old_email)


def connect(app: Flask) -> None:
    """Connect every receiver for `app` (signals are sent with the app as sender)."""
    pairs = (
        (fs.password_changed, _password_changed),
        (fs.password_reset, _password_changed),
        (fs.change_email_confirmed, _email_changed),
    )
    for signal, receiver in pairs:
        signal.connect(receiver, sender=app)
