"""Permissions are defined in code, each with a description; flows and pages ask by name."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user

PERMISSIONS: dict[str, Any] = {
    "users:read": _l("See user accounts, their roles, factors and sessions"),
    "users:write": _l("Create, edit, invite, deactivate and delete user accounts"),
    "roles:read": _l("See roles and their members"),
    "roles:write": _l("Create, edit and delete roles and grant them to users"),
    "sessions:read": _l("See every user's live sessions"),
    "sessions:revoke": _l("End other users' sessions"),
    "mfa:read": _l("See every user's second factors"),
    "mfa:reset": _l("Remove keys and reset other users' second factors"),
    "audit:read": _l("Read and export the audit trail"),
    "mail:read": _l("Read the development mail outbox"),
}

# The role created for the first operator; holding every permission is "full administration".
ADMIN_ROLE = "Administrator"


def all_permissions() -> list[str]:
    """Every permission name, in display order."""
    return list(PERMISSIONS)


def has_permission(permission: str) -> bool:
    """True when the signed-in user holds `permission` through one of their roles."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission}")
    return bool(current_user.is_authenticated and current_user.has_permission(permission))
