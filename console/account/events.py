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
    Action(
        "account.new_device.notified",
        _l("New device notice sent"),
        _l(
            "The account was signed in to from a browser and network it had not used "
            "recently, and its holder was told by mail."
        ),
        "sign_in",
    ),
    Action(
        "account.new_device.reported",
        _l("Sign-in reported as not theirs"),
        _l(
            "The account holder followed the link of a new device notice: every session was "
            "ended and a password reset was sent."
        ),
        "sign_in",
    ),
)
