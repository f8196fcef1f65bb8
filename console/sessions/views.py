"""The user's own sessions: list them, end one, sign out everywhere else."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..core.guards import login_redirect
from ..core.htmx import is_htmx, render_page_or_fragment
from . import flows

bp = Blueprint("sessions", __name__)


def _context(status: str | None = None) -> dict[str, Any]:
    return {
        "sessions": flows.live_for(current_user),
        "current_session": flows.current(),
        "families": flows.live_families(current_user),
        "status": status,
    }


def _answer(status: str) -> Any:
    """HTMX: the refreshed list announcing `status`; browsers: back to the list."""
    if is_htmx():
        context = _context(status)
        return render_page_or_fragment("sessions/mine.html", "sessions/_mine.html", **context)
    flash(status, "success")
    return redirect(url_for("sessions.mine"))


@bp.get("/")
def mine() -> Any:
    """Every live session of the signed-in user, this one marked."""
    if not current_user.is_authenticated:
        return login_redirect()
    return render_page_or_fragment("sessions/mine.html", "sessions/_mine.html", **_context())


@bp.post("/<key>/end")
def end(key: str) -> Any:
    """End one of the user's other sessions."""
    if not current_user.is_authenticated:
        return login_redirect()
    found = flows.sessions_by_keys([key[:16]], current_user)
    if not found:
        abort(404)
    record = found[0]
    current = flows.current()
    if current is not None and record.id == current.id:
        return _answer(_("This is the session you are using; sign out to end it."))
    ended = flows.end_session(record, actor=current_user, reason="revoked")
    return _answer(_("The session was ended.") if ended else _("That session had already ended."))


@bp.post("/end-others")
def end_others() -> Any:
    """Sign out everywhere else; without JavaScript a confirmation page comes first."""
    if not current_user.is_authenticated:
        return login_redirect()
    if request.form.get("confirmed") != "1":
        return render_template("sessions/confirm_end_others.html", **_context())
    count = flows.end_other_sessions(
        current_user, keep=flows.current(), actor=current_user, reason="ended_others"
    )
    if count:
        return _answer(
            ngettext(
                "Signed out of %(num)d other session.",
                "Signed out of %(num)d other sessions.",
                count,
            )
        )
    return _answer(_("There were no other sessions to end."))


@bp.post("/tokens/<family>/revoke")
def revoke_token(family: str) -> Any:
    """Revoke one of the user's API refresh-token families."""
    if not current_user.is_authenticated:
        return login_redirect()
    tracker = flows.find_family(family[:64], user_id=current_user.id)
    if tracker is None or not flows.refresh_tokens_enabled():
        abort(404)
    revoked = flows.revoke_family(tracker, actor=current_user)
    if revoked:
        return _answer(_("The API token was revoked."))
    return _answer(_("That token was already revoked."))
