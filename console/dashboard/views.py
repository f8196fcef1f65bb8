"""The operators' home page: a snapshot of account figures, sign-in charts and recent events."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_security import naive_utcnow
from werkzeug.routing import BuildError

from ..core.guards import permission_required
from ..core.permissions import has_permission
from . import charts, figures, overview, snapshot

bp = Blueprint("dashboard", __name__)


def _dormant_link(users: figures.UserFigures) -> str | None:
    """The user list filtered to the dormant accounts, ready for a bulk action."""
    try:
        return url_for(
            "users.index_view", login_before=users.dormant_before.isoformat(), active="yes"
        )
    except BuildError:
        return None


@bp.get("/dashboard/")
@permission_required("users:read")
def index() -> Any:
    """Figures for the whole console on one page, from the stored snapshot."""
    shown = overview.read(current_user._get_current_object())
    current, days = shown.snapshot, shown.days
    chart = charts.daily_chart(
        days,
        [
            ("sign_ins", "chart-sign-ins", _("sign-ins")),
            ("failures", "chart-failures", _("failed sign-ins")),
        ],
    )
    users = current.users if current else None
    coverage = (
        charts.meters(
            [(_("All users"), users.mfa_percent, f"{users.with_mfa} / {users.total}")]
            + [(r.name, r.percent, f"{r.with_mfa} / {r.members}") for r in users.roles]
        )
        if users
        else []
    )
    response = make_response(
        render_template(
            "dashboard/index.html",
            users=users,
            snapshot=current,
            days=days,
            chart=chart,
            coverage=coverage,
            totals=shown.totals,
            live_sessions=current.live_sessions if current else None,
            recent=shown.recent,
            can_read_audit=has_permission("audit:read"),
            dormant_link=_dormant_link(users) if users else None,
        )
    )
    if shown.stale(naive_utcnow()):
        snapshot.refresh_after(response)
    return response


@bp.post("/dashboard/refresh")
@permission_required("users:read")
def refresh() -> Any:
    """Recompute the figures after this response (one worker at a time), then come back."""
    flash(_("The figures are being recomputed; reload the dashboard in a moment."), "info")
    response = redirect(url_for("dashboard.index"))
    snapshot.refresh_after(response, force=True)
    return response
