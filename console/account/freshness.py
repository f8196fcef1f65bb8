"""Recent sign-in (Flask-Security freshness) for self-service changes, HTMX-aware."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import current_app, request
from flask_login import current_user
from flask_security import check_and_update_authn_fresh, url_for_security
from flask_security.decorators import default_reauthn_handler
from flask_security.proxies import _security
from flask_security.utils import get_request_attr

from ..core.htmx import hx_redirect, is_htmx
from ..core.permissions import login_redirect
from ..core.redirects import current_path, is_safe_url, safe_url

F = TypeVar("F", bound=Callable[..., Any])


def cv(name: str) -> Any:
    """A Flask-Security setting of the current app."""
    return current_app.config[f"SECURITY_{name}"]


def is_fresh() -> bool:
    """True when the user signed in (or re-authenticated) within SECURITY_FRESHNESS."""
    return check_and_update_authn_fresh(
        cv("FRESHNESS"), cv("FRESHNESS_GRACE_PERIOD"), get_request_attr("fs_authn_via")
    )


def reauthenticate() -> Any:
    """Send the user to re-authenticate, then back (Flask-Security's handler decides how)."""
    return _security._reauthn_handler(cv("FRESHNESS"), cv("FRESHNESS_GRACE_PERIOD"))


def reauthn_handler(within: timedelta, grace: timedelta) -> Any:
    """Flask-Security's handler, but an htmx request gets HX-Redirect, not a swapped page."""
    if not is_htmx():
        return default_reauthn_handler(within, grace)
    view = "us_verify" if cv("UNIFIED_SIGNIN") else "verify"
    return hx_redirect(url_for_security(view, next=_page_path()))


def _page_path() -> str:
    """Where to come back to: the page htmx was on (same origin only), else this URL."""
    here = current_path()
    page = request.headers.get("HX-Current-URL", "")
    if not is_safe_url(page):
        return here
    parts = urlsplit(page)
    return safe_url(parts.path + (f"?{parts.query}" if parts.query else ""), here)


def signed_in(view: F) -> F:
    """Any signed-in user (the account pages need no permission); others sign in first."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_redirect()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def fresh_for_changes(view: F) -> F:
    """A GET shows the page; anything that changes data needs a recent sign-in."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.method not in ("GET", "HEAD") and not is_fresh():
            return reauthenticate()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
