"""The audit actions of the ends of signed-in sessions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.actions import Action

ACTIONS = (
    Action(
        "session.signed_out",
        _l("Session signed out"),
        _l("A session ended because its user signed out."),
        "session",
    ),
    Action(
        "session.expired",
        _l("Session expired"),
        _l("A session ended after a period of inactivity or at its maximum length."),
        "session",
    ),
    Action(
        "session.revoked",
        _l("Session ended"),
        _l("A session or an API token was ended by its owner, an operator or a change."),
        "session",
    ),
    Action(
        "session.ended_others",
        _l("Other sessions ended"),
        _l("The account holder ended their sessions on other devices."),
        "session",
    ),
    Action(
        "session.ended",
        _l("Session closed"),
        _l(
            "A session ended because the account changed or another account signed in "
            "on the same browser."
        ),
        "session",
    ),
)
