"""The permission catalogue: the console's own permissions and those the host application
declares, each with a description; flows and pages ask by name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_app_context
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
    # Carried by the token of an identity provider's service account (console.scim); the
    # provider's changes also need users:write and roles:write, like an operator's.
    "scim:provision": _l("Provision accounts and groups from an identity provider over SCIM"),
    "webhooks:manage": _l("Register, pause and delete webhook endpoints and retry deliveries"),
    "users:impersonate": _l(
        "Sign in as another user for a few minutes, with a reason; their credentials stay "
        "out of reach"
    ),
}

# The console's permissions of its first release.
FIRST_RELEASE = frozenset(
    [
        "users:read",
        "users:write",
        "roles:read",
        "roles:write",
        "sessions:read",
        "sessions:revoke",
        "mfa:read",
        "mfa:reset",
        "audit:read",
        "mail:read",
    ]
)
# Permissions a release added, each with the set that was full administration before it:
# a role holding all of that set is granted the newcomer, so that it stays full
# administration (the shipped models' migration does it, `flask console adopt` for a host's).
ADDED_LATER: dict[str, frozenset[str]] = {
    "scim:provision": FIRST_RELEASE,
    "webhooks:manage": FIRST_RELEASE | {"scim:provision"},
    "users:impersonate": FIRST_RELEASE | {"scim:provision", "webhooks:manage"},
}

# The role created for the first operator; holding every permission is "full administration".
ADMIN_ROLE = "Administrator"

CONSOLE_GROUP = _l("Console")
HOST_GROUP = _l("This application")


@dataclass(frozen=True)
class HostPermission:
    """A permission the host application checks (`permissions_required("invoices:write")`),
    declared so that operators can see and grant it; `group` heads it in the checklists."""

    name: str
    description: Any
    group: Any = None


@dataclass(frozen=True)
class PermissionGroup:
    """A heading of the role checklist and its permissions (name -> description)."""

    label: Any
    permissions: dict[str, Any]


class UnknownPermission(KeyError):
    """A permission was checked that neither the console nor the application declared."""


def declare_permissions(app: Flask, permissions: Iterable[HostPermission]) -> None:
    """Make the host's `permissions` known to the console of `app` (after init_app).

    Declaring the same permission again is harmless; a name that is not one word without
    commas (roles store them comma-separated), one of the console's own, or declared twice
    differently is a programming error.
    """
    state = app.extensions.get("console")
    if state is None:
        raise RuntimeError("declare_permissions() needs the console: call init_app first")
    for permission in permissions:
        name = permission.name
        if not isinstance(name, str) or not name or "," in name or name != "".join(name.split()):
            raise ValueError(f"a permission name is one word without commas, not {name!r}")
        if name in PERMISSIONS:
            raise ValueError(f"{name} is one of the console's own permissions")
        known = state.permissions.get(name)
        if known is not None and known != permission:
            raise ValueError(f"permission {name} is declared twice")
        state.permissions[name] = permission


def host_permissions() -> dict[str, HostPermission]:
    """The permissions the current application declared, in declaration order."""
    if not has_app_context():
        return {}
    return current_app.extensions["console"].permissions


def all_permissions() -> list[str]:
    """The console's own permissions, in display order: holding them all is full
    administration (an application's permissions come and go; the console's stay)."""
    return list(PERMISSIONS)


def catalogue() -> dict[str, Any]:
    """Every declared permission (the console's, then the application's) and its description."""
    declared = {name: item.description for name, item in host_permissions().items()}
    return {**PERMISSIONS, **declared}


def is_declared(permission: str) -> bool:
    """True for the console's permissions and those the application declared."""
    return permission in PERMISSIONS or permission in host_permissions()


def undeclared(permissions: Iterable[str]) -> list[str]:
    """Of `permissions`, those nobody declared (granted outside the console), sorted."""
    return sorted({name for name in permissions if not is_declared(name)})


def groups() -> list[PermissionGroup]:
    """The grantable permissions under their headings: the console's, then the host's
    groups in the order they were first declared."""
    result = [PermissionGroup(CONSOLE_GROUP, dict(PERMISSIONS))]
    by_label: dict[str, PermissionGroup] = {}
    for name, item in host_permissions().items():
        label = item.group or HOST_GROUP
        group = by_label.get(str(label))
        if group is None:
            group = by_label[str(label)] = PermissionGroup(label, {})
            result.append(group)
        group.permissions[name] = item.description
    return result


def require_declared(permission: str) -> None:
    """Raise UnknownPermission for a name nobody declared: a check on it is a typo."""
    if not is_declared(permission):
        raise UnknownPermission(f"unknown permission {permission}")


def has_permission(permission: str) -> bool:
    """True when the signed-in user holds `permission` through one of their roles."""
    require_declared(permission)
    return bool(current_user.is_authenticated and current_user.has_permission(permission))
