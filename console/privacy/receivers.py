"""Flask-Security's sign-in signal, connected to the cancellation of a scheduled deletion."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_security import signals as fs

from . import flows


def _signed_in(app: Flask, user: Any = None, **_: Any) -> None:
    # Every completed sign-in (after its second factor), whatever the method: the holder is
    # back, so the account stays.
    if user is not None:
        flows.cancel_on_sign_in(user)


def connect(app: Flask) -> None:
    """Connect the receiver for `app` only (tests build many apps in one process)."""
    fs.user_authenticated.connect(_signed_in, sender=app, weak=False)
