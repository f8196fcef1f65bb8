"""Account lockout: one failure counter per account across every credential check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from flask_security.signals import user_authenticated, user_failed_authn

if TYPE_CHECKING:
    from .. import ConsoleState

EXTENSION_KEY = "console.lockout"


def _active() -> bool:
    return bool(current_app.extensions.get(EXTENSION_KEY))


def _on_failed_authn(sender: Any, user: Any = None, auth_type: str = "", **extra: Any) -> None:
    # Flask-Security sends this for every credential it could not verify (password, code,
    # passkey); the recovery-code form adds its own.
    if user is not None and _active():
        from . import flows

        flows.failed(user, auth_type)


def _on_authenticated(sender: Any, user: Any = None, **extra: Any) -> None:
    if user is not None and _active():
        from . import flows

        flows.succeeded(user)


# Connected once for the process; each app opts in through its extensions entry.
user_failed_authn.connect(_on_failed_authn, weak=False)
user_authenticated.connect(_on_authenticated, weak=False)


def init_app(app: Flask, state: ConsoleState) -> None:
    """Turn the lockout on for `app` (its forms are passed to Security by the factory)."""
    from ..core import actions
    from . import refusals
    from .events import ACTIONS
    from .guards import no_sign_out_on_get, same_answer_for_unknown_username_recovery

    actions.declare(ACTIONS)
    refusals.init_app(app)

    app.extensions[EXTENSION_KEY] = True
    app.before_request(no_sign_out_on_get)
    app.before_request(same_answer_for_unknown_username_recovery)
