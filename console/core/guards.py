"""The signed-in and permission guards every page uses (flows assert the rules themselves)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, redirect
from flask_login import current_user

from .htmx import hx_redirect, is_htmx
from .permissions import require_declared
from .redirects import current_path, safe_url

F = TypeVar("F", bound=Callable[..., Any])


def login_redirect() -> Any:
    """Send an anonymous visitor to sign in, then back here (HX-Redirect for HTMX)."""
    from flask_security import url_for_security

    # current_path keeps the mount prefix (DispatcherMiddleware, X-Forwarded-Prefix).
    target = url_for_security("login", next=safe_url(current_path()))
    return hx_redirect(target) if is_htmx() else redirect(target)


def signed_in(view: F) -> F:
    """Any signed-in user (the account pages need no permission); others sign in first."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_redirect()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def permission_required(permission: str) -> Callable[[F], F]:
    """Guard a page: anonymous -> sign in, signed in without `permission` -> 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            # Checked per request: an application declares its permissions after import.
            require_declared(permission)
            if not current_user.is_authenticated:
                return login_redirect()
            if not current_user.has_permission(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
