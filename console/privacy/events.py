"""The audit actions of leaving: downloading one's data and deleting one's account."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.actions import Action

ACTIONS = (
    Action(
        "account.data.exported",
        _l("Personal data downloaded"),
        _l("The account holder downloaded a copy of their personal data."),
        "account",
        notice=_l("A copy of your personal data was downloaded from your account."),
        notice_subject=_l("A copy of your data was downloaded"),
    ),
    Action(
        "admin.user.data_exported",
        _l("Personal data exported"),
        _l("An operator exported a copy of the account's personal data."),
        "admin",
    ),
    Action(
        "account.deletion.scheduled",
        _l("Account deletion scheduled"),
        _l(
            "The account holder asked for their account to be deleted after a grace period; "
            "its sessions and tokens were ended."
        ),
        "account",
    ),
    Action(
        "account.deletion.cancelled",
        _l("Account deletion cancelled"),
        _l(
            "The account holder signed in during the grace period, which cancelled the "
            "scheduled deletion of their account."
        ),
        "account",
        notice=_l(
            "You signed in, so your account will not be deleted. It stays as it was; you can "
            "ask for its deletion again from your security page."
        ),
        notice_subject=_l("Your account will not be deleted"),
    ),
    Action(
        "account.deleted",
        _l("Account deleted by its holder"),
        _l(
            "The account's personal data was removed; a deactivated record without it remains, "
            "so that the audit trail still refers to the account."
        ),
        "account",
    ),
)
