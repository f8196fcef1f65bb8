"""The operators' home page: account figures, sign-in charts, sessions and recent events."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from ..core.permissions import permission_required
from . import charts, figures

bp = Blueprint("dashboard", __name__)


def _dormant_link(users: figures.UserFigures) -> str | None:
    """The user list filtered to the dormant accounts, ready for a bulk action."""
    try:
        return url_for(
            "users.index_view", login_before=users.dormant_before.isoformat(), active="yes"
        )
    except BuildError:
        return None


@bp.get("/admin/dashboard/")
@permission_required("users:read")
def index() -> Any:
    """Figures for the whole console on one page."""
    users = figures.user_figures()
    days = figures.daily(30)
    chart = charts.daily_chart(
        days,
        [
            ("sign_ins", "chart-sign-ins", _("sign-ins")),
            ("failures", "chart-failures", _("failed sign-ins")),
        ],
    )
    coverage = charts.meters(
        [(_("All users"), users.mfa_percent, f"{users.with_mfa} / {users.total}")]
        + [(r.name, r.percent, f"{r.with_mfa} / {r.members}") for r in users.roles]
    )
    return render_template(
        "dashboard/index.html",
        users=users,
        days=days,
        chart=chart,
        coverage=coverage,
        totals={
            "sign_ins": sum(d.sign_ins for d in days),
            "failures": sum(d.failures for d in days),
        },
        live_sessions=figures.live_sessions(),
        recent=figures.recent_events(10),
        dormant_link=_dormant_link(users),
    )
