"""Recent sign-in checks for MFA changes, answered with a redirect to re-authenticate."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, redirect, session
from flask_security import url_for_security
from flask_security.utils import do_flash, get_message

from ..core.htmx import hx_redirect, is_htmx
from ..core.redirects import current_path, safe_url
from ..settings import setting

F = TypeVar("F", bound=Callable[..., Any])


def is_fresh(within: timedelta) -> bool:
    """True when the user signed in or re-authenticated less than `within` ago.

    Reads Flask-Security's primary-authenticated-at time directly: its grace period
    would let a stale session through right after visiting another protected page.
    """
    signed_in_at = session.get("fs_paa")
    if not signed_in_at:
        return False
    age = time.time() - float(signed_in_at)
    return -60 < age < within.total_seconds()


def reauthenticate(next_url: str | None = None) -> Any:
    """Send the user to Flask-Security's /verify and back to `next_url` (HX-Redirect for htmx)."""
    message, category = get_message("REAUTHENTICATION_REQUIRED")
    do_flash(message, category)
    target = url_for_security("verify", next=safe_url(next_url, current_path()))
    return hx_redirect(target) if is_htmx() else redirect(target)


def fresh_required(within: Callable[[], timedelta], next_url: Callable[..., str] | None = None):
    """Guard a view: a session older than `within()` is sent to re-authenticate first.

    `next_url(**view_args)` names the page to come back to (a GET page), since a POST
    cannot be replayed after the detour.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not is_fresh(within()):
                target = next_url(**kwargs) if next_url else None
                return reauthenticate(target)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def operator_window() -> timedelta:
    """How recent an operator's sign-in must be for an MFA action."""
    return setting("CONSOLE_MFA_REAUTH_WITHIN")


def user_window() -> timedelta:
    """How recent a user's sign-in must be to change their own factors (Flask-Security's)."""
    return current_app.config["SECURITY_FRESHNESS"]
