"""The audit actions of impersonation, with what the impersonated account holder is told."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.actions import Action

ACTIONS = (
    Action(
        "impersonation.started",
        _l("Impersonation started"),
        _l(
            "An operator signed in as the account for a few minutes, after giving a reason; "
            "what they did meanwhile is recorded with both names."
        ),
        "admin",
        notice=_l("%(operator)s, an operator, signed in to the console as you."),
        notice_subject=_l("An operator signed in as you"),
    ),
    Action(
        "impersonation.ended",
        _l("Impersonation ended"),
        _l(
            "The operator stopped acting as the account, or the time limit, signing out or "
            "the end of the session ended it."
        ),
        "admin",
    ),
    Action(
        "impersonation.refused",
        _l("Refused while impersonating"),
        _l(
            "An operator signed in as the account tried to open one of its security settings "
            "(password, email address, sign-in methods, tokens, sessions), which only the "
            "account holder may use."
        ),
        "failure",
    ),
)
