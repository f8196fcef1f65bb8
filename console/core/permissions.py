"""Permissions are defined in code, each with a description; views check them by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, redirect
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .htmx import hx_redirect, is_htmx
from .redirects import current_path, safe_url

F = TypeVar("F", bound=Callable[..., Any])

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


def login_redirect() -> Any:
    """Send an anonymous visitor to sign in, then back here (HX-Redirect for HTMX)."""
    from flask_security import url_for_security

    target = url_for_security("login", next=safe_url(current_path()))
    return hx_redirect(target) if is_htmx() else redirect(target)


def permission_required(permission: str) -> Callable[[F], F]:
    """Guard a view: anonymous -> sign in, signed in without `permission` -> 403."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission}")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_redirect()
            if not current_user.has_permission(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
