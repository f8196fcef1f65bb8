"""Recent sign-in: the one owner of "is this session fresh enough" and of the detour.

Two windows exist and both are read here: Flask-Security's own (SECURITY_FRESHNESS, with
its grace period) for a user's changes to their own account, and a strict window for
operator actions that read the primary sign-in time directly (CONSOLE_MFA_REAUTH_WITHIN),
since the grace period would let a stale session through right after another protected
page. Flows assert freshness through `core.policy.require_fresh`; views only map its
refusal to `reauthenticate`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import current_app, g, has_request_context, redirect, request, session
from flask_security import check_and_update_authn_fresh, url_for_security
from flask_security.proxies import _security
from flask_security.utils import do_flash, get_message, get_request_attr

from ..settings import setting
from .htmx import hx_redirect, is_htmx
from .redirects import current_path, is_safe_url, safe_url

F = TypeVar("F", bound=Callable[..., Any])

# g key: when the credential of a request without a session (an API token) was issued, as
# a Unix time. Such a request is as fresh as that credential: no session can re-authenticate.
CREDENTIAL_ISSUED_AT = "console_credential_issued_at"


def _security_setting(name: str) -> Any:
    return current_app.config[f"SECURITY_{name}"]


def user_window() -> timedelta:
    """How recent a user's sign-in must be to change their own account (Flask-Security's)."""
    return _security_setting("FRESHNESS")


def operator_window() -> timedelta:
    """How recent an operator's sign-in must be for an action on someone else's factors."""
    return setting("CONSOLE_MFA_REAUTH_WITHIN")


def is_fresh(within: timedelta | None = None) -> bool:
    """True when this session signed in or re-authenticated recently enough.

    With no `within`, Flask-Security's own check (its window and grace period); with one,
    the strict check of the primary sign-in time against `within`.
    """
    if not has_request_context():
        return True  # the local shell: no session to be stale
    issued_at = g.get(CREDENTIAL_ISSUED_AT)
    if issued_at is not None:
        window = within if within is not None else user_window()
        return -60 < time.time() - issued_at < window.total_seconds()
    if within is None:
        return check_and_update_authn_fresh(
            _security_setting("FRESHNESS"),
            _security_setting("FRESHNESS_GRACE_PERIOD"),
            get_request_attr("fs_authn_via"),
        )
    signed_in_at = session.get("fs_paa")
    if not signed_in_at:
        return False
    age = time.time() - float(signed_in_at)
    return -60 < age < within.total_seconds()


def _page_path() -> str:
    """Where to come back to: the page htmx was on (same origin only), else this URL."""
    here = current_path()
    page = request.headers.get("HX-Current-URL", "")
    if not page or not is_safe_url(page):
        return here
    parts = urlsplit(page)
    return safe_url(parts.path + (f"?{parts.query}" if parts.query else ""), here)


def reauthenticate(next_url: str | None = None, *, view: str = "verify") -> Any:
    """Send the user to re-authenticate, then back to `next_url` (HX-Redirect for htmx).

    Operator actions ask for the password (`verify`); a user's own changes go through
    Flask-Security's handler, which offers unified sign-in's methods where enabled.
    """
    message, category = get_message("REAUTHENTICATION_REQUIRED")
    do_flash(message, category)
    back = safe_url(next_url, _page_path() if is_htmx() else current_path())
    target = url_for_security(view, next=back)
    return hx_redirect(target) if is_htmx() else redirect(target)


def reauthn_handler(within: timedelta, grace: timedelta) -> Any:
    """Flask-Security's re-authentication handler: the same detour as the console's own."""
    from flask_security.decorators import default_reauthn_handler

    if not is_htmx():
        return default_reauthn_handler(within, grace)
    return reauthenticate(view="us_verify" if _security_setting("UNIFIED_SIGNIN") else "verify")


def fresh_for_changes(view: F) -> F:
    """A GET shows the page; anything that changes data needs a recent sign-in."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.method not in ("GET", "HEAD") and not is_fresh():
            return _security._reauthn_handler(
                _security_setting("FRESHNESS"), _security_setting("FRESHNESS_GRACE_PERIOD")
            )
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def fresh_required(within: Callable[[], timedelta], next_url: Callable[..., str] | None = None):
    """Guard a page: a session older than `within()` re-authenticates before the form shows.

    The flow behind the page asserts the same window itself; this only spares the user a
    form they could not submit. `next_url(**view_args)` names the page to come back to.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not is_fresh(within()):
                return reauthenticate(next_url(**kwargs) if next_url else None)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
