"""The audit actions of the lockout after repeated failed sign-ins."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.actions import Action

ACTIONS = (
    Action(
        "user.locked",
        _l("Account locked"),
        _l("Too many failed sign-ins locked the account for a while."),
        "failure",
    ),
    Action(
        "user.login_refused",
        _l("Sign-in refused while locked"),
        _l(
            "Sign-ins were refused because the account was locked; one event counts the "
            "refusals of a short interval."
        ),
        "failure",
    ),
)
