"""The audit actions of operators' changes to user accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.actions import Action

ACTIONS = (
    Action(
        "admin.user.created",
        _l("Account created by an operator"),
        _l("An operator created the account without a password."),
        "admin",
    ),
    Action(
        "admin.user.invited",
        _l("Invitation sent"),
        _l("A link to choose a password was mailed to the account."),
        "admin",
    ),
    Action(
        "admin.user.updated",
        _l("Account edited by an operator"),
        _l("An operator changed the profile or the roles of the account."),
        "admin",
    ),
    Action(
        "admin.user.notes_updated",
        _l("Operator notes changed"),
        _l("An operator changed the notes kept about the account."),
        "admin",
    ),
    Action(
        "admin.user.activated",
        _l("Account activated"),
        _l("An operator let the account sign in again."),
        "admin",
    ),
    Action(
        "admin.user.deactivated",
        _l("Account deactivated"),
        _l("An operator blocked the account from signing in."),
        "admin",
    ),
    Action(
        "admin.user.password_reset_sent",
        _l("Password reset sent by an operator"),
        _l("An operator mailed the account a password reset link."),
        "admin",
    ),
    Action(
        "admin.user.password_change_required",
        _l("Password change required"),
        _l("An operator required a new password at the next sign-in."),
        "admin",
    ),
    Action(
        "admin.user.unlocked",
        _l("Account unlocked"),
        _l("An operator ended a lockout after failed sign-ins."),
        "admin",
    ),
    Action(
        "admin.user.deleted",
        _l("Account deleted"),
        _l("An operator deleted the account and everything attached to it."),
        "admin",
    ),
)
