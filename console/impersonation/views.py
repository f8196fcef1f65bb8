"""Impersonation pages: the operator's confirmation with a reason, and the banner's Stop."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_security import url_for_security

from ..core import links, policy
from ..core.forms import ReasonForm
from ..core.freshness import is_fresh, operator_window, reauthenticate
from ..core.guards import login_redirect, permission_required
from ..core.models import models
from ..core.paths import admin_route
from ..core.redirects import safe_url
from ..extensions import db
from ..mixins import ConsoleUserMixin
from ..settings import setting
from . import flows
from .guard import back_url

bp = Blueprint("impersonation", __name__)


def _me() -> Any:
    """The signed-in user itself (not the proxy), safe to keep beyond the request."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _user_or_404(user_id: int) -> ConsoleUserMixin:
    user = db.session.get(models().User, user_id)
    if user is None:
        abort(404)
    return user


@admin_route(bp, "/users/<int:user_id>/impersonate/", methods=["GET", "POST"])
@permission_required(flows.PERMISSION)
def start(user_id: int) -> Any:
    """Confirm with a reason, then sign in as the user (after a fresh sign-in)."""
    user = _user_or_404(user_id)
    refused = flows.refusal(_me(), user)
    here = url_for("impersonation.start", user_id=user.id)
    if refused is None and not is_fresh(operator_window()):
        # Asked before the form, not after it: the reason is not typed in vain.
        return reauthenticate(here)
    form = ReasonForm()
    if request.method == "POST" and refused is None and form.validate_on_submit():
        try:
            flows.start(_me(), user, form.reason.data)
        except policy.PolicyError as error:
            if error.code == "reauth":
                raise
            form.reason.errors = [*form.reason.errors, str(error)]
        else:
            flash(
                _(
                    "You are signed in as %(user)s. The banner at the top of every page stops it.",
                    user=user.email,
                ),
                "success",
            )
            return redirect(url_for("console.home"))
    status = 403 if refused is not None else 400 if form.errors else 200
    return render_template(
        "impersonation/start.html",
        form=form,
        user=user,
        refused=refused,
        action=here,
        back=safe_url(links.url_for_user(user), url_for("console.home")),
        minutes=int(flows.max_age().total_seconds() // 60),
        notify=setting("CONSOLE_IMPERSONATION_NOTIFY"),
    ), status


@bp.post("/impersonation/stop")
def stop() -> Any:
    """The banner's Stop: back to the operator's own session."""
    state = flows.current()
    if state is None:
        if not current_user.is_authenticated:
            return login_redirect()
        return redirect(url_for("console.home"))
    operator = flows.stop()
    if operator is None:
        flash(
            _(
                "Your impersonation of %(user)s has ended, and so has your own session. "
                "Sign in again.",
                user=state.user_email,
            ),
            "info",
        )
        return redirect(url_for_security("login"))
    flash(_("You are signed in as yourself again."), "success")
    return redirect(back_url(state.user_id))
