"""The audit actions of the account holder's own profile changes, with what they are told."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.actions import Action

ACTIONS = (
    Action(
        "account.profile.updated",
        _l("Profile updated"),
        _l("The account holder changed their display name, language or time zone."),
        "account",
        notice=_l("The display name, language or time zone of your account was changed."),
        notice_subject=_l("Your profile was updated"),
    ),
)
