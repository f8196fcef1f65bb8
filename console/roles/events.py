"""The audit actions of role changes and role membership."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.actions import Action

ACTIONS = (
    Action(
        "admin.role.created",
        _l("Role created"),
        _l("An operator created a role with its permissions."),
        "admin",
    ),
    Action(
        "admin.role.updated",
        _l("Role changed"),
        _l("An operator changed a role's name, description, permissions or MFA rule."),
        "admin",
    ),
    Action(
        "admin.role.deleted",
        _l("Role deleted"),
        _l("An operator deleted a role, moving its members to another one if it had any."),
        "admin",
    ),
    Action(
        "admin.role.member_added",
        _l("Role granted"),
        _l("An operator gave the account a role."),
        "admin",
    ),
    Action(
        "admin.role.member_removed",
        _l("Role taken away"),
        _l("An operator took a role away from the account."),
        "admin",
    ),
)
