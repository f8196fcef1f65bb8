"""Every request of an impersonating browser: checked first, ended at its time limit, shown
the banner (an HTMX fragment too), refused the account holder's sensitive pages."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, user_logged_out
from flask_security import url_for_security

from ..core import gates, links
from ..core.errors import render_error
from ..core.htmx import hx_redirect, is_htmx
from ..core.redirects import is_safe_url, safe_url
from . import flows


def _go(target: str) -> Response:
    return hx_redirect(target) if is_htmx() else redirect(target)


def back_url(user_id: int) -> str:
    """Where the operator lands once back: the impersonated account's page, if they may
    read it, else the console's home."""
    page = links.url_for_user(user_id) if current_user.has_permission("users:read") else None
    return safe_url(page, url_for("console.home"))


def _ended(user: str, user_id: int, operator: Any, message: str) -> Response:
    if operator is None:
        flash(
            _(
                "Your impersonation of %(user)s has ended, and so has your own session. "
                "Sign in again.",
                user=user,
            ),
            "info",
        )
        return _go(url_for_security("login"))
    flash(message, "info")
    return _go(back_url(user_id))


def _over_message(over: flows.Over) -> str:
    user = over.state.user_email
    if over.reason == "time_limit":
        return _(
            "Your impersonation of %(user)s reached its time limit. You are signed in as "
            "yourself again.",
            user=user,
        )
    message = _(
        "Your impersonation of %(user)s has ended. You are signed in as yourself again.",
        user=user,
    )
    if over.refusal is None:
        return message
    # Worded again now, in the language of the operator who reads it.
    refusal = type(over.refusal)(over.refusal.code, **over.refusal.params)
    return f"{message} {refusal}"


def check_request() -> Response | None:
    """before_request: carry on as the account, or end the impersonation and say so."""
    endpoint = request.endpoint or ""
    if endpoint == "static" or endpoint.endswith(".static"):
        return None
    try:
        flows.check()
    except flows.Over as over:
        if endpoint in gates.ALWAYS_OPEN:
            # Signing out ends both sessions anyway (flows.signed_out).
            return None
        operator = flows.stop(over.reason)
        return _ended(over.state.user_email, over.state.user_id, operator, _over_message(over))
    except flows.SessionLost as lost:
        back = flows.recover(lost.data)
        if back is not None:
            user = lost.data.get("user_email", "")
            message = _(
                "Your impersonation of %(user)s has ended. You are signed in as yourself again.",
                user=user,
            )
            return _ended(user, lost.data["user"], back, message)
    return None


def refuse() -> Response:
    """A sensitive page while impersonating: recorded, and refused with the reason (an HTMX
    request reloads the page it came from, which shows the reason)."""
    flows.record_refusal()
    message = flows.refusal_message()
    if is_htmx():
        flash(message, "error")
        page = request.headers.get("HX-Current-URL", "")
        return hx_redirect(page if is_safe_url(page) else url_for("console.home"))
    return render_error(403, message=message)


def add_banner(response: Response) -> Response:
    """after_request: an HTMX fragment carries the banner too, swapped out of band (a page
    has it from the layout)."""
    if (
        flows.is_impersonating()
        and is_htmx()
        and response.status_code == 200
        and response.mimetype == "text/html"
        and not response.is_streamed
        and not response.direct_passthrough
    ):
        banner = render_template("impersonation/_banner.html", out_of_band=True)
        response.set_data(response.get_data() + banner.encode())
    return response


def _on_logged_out(app: Flask, **_: Any) -> None:
    flows.signed_out()


def init_app(app: Flask) -> None:
    """Install the request hooks, the restriction and the sign-out receiver for `app`."""
    app.before_request(check_request)
    app.after_request(add_banner)
    gates.restrict(
        app,
        gates.Restriction(key="impersonation", holds=flows.is_impersonating, respond=refuse),
    )
    user_logged_out.connect(_on_logged_out, sender=app, weak=False)
