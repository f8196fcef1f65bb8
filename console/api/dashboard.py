"""/dashboard: the figures of the operators' dashboard page, from console.dashboard.overview."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, after_this_request
from flask.views import MethodView
from flask_security import naive_utcnow

from ..dashboard import overview, snapshot
from . import auth
from .fields import UtcDateTime
from .handlers import blueprint, documents_problems

blp = blueprint("api_dashboard", __name__, "The dashboard's figures")


class RoleCoverageSchema(ma.Schema):
    role_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    members = ma.fields.Integer(required=True)
    with_mfa = ma.fields.Integer(required=True)
    percent = ma.fields.Integer(required=True)


class UserFiguresSchema(ma.Schema):
    total = ma.fields.Integer(required=True)
    active = ma.fields.Integer(required=True)
    locked = ma.fields.Integer(required=True)
    unconfirmed = ma.fields.Integer(required=True)
    with_mfa = ma.fields.Integer(required=True)
    mfa_percent = ma.fields.Integer(required=True)
    dormant = ma.fields.Integer(
        required=True, metadata={"description": "Active, with no sign-in since dormant_before"}
    )
    dormant_before = ma.fields.Date(required=True)
    roles = ma.fields.List(ma.fields.Nested(RoleCoverageSchema), required=True)


class DaySchema(ma.Schema):
    day = ma.fields.Date(required=True)
    sign_ins = ma.fields.Integer(required=True)
    failures = ma.fields.Integer(required=True)


class TotalsSchema(ma.Schema):
    sign_ins = ma.fields.Integer(required=True)
    failures = ma.fields.Integer(required=True)


class RecentEventSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    action = ma.fields.String(required=True)
    actor_id = ma.fields.Integer(allow_none=True)
    actor_email = ma.fields.String(allow_none=True)
    subject_id = ma.fields.Integer(allow_none=True)
    subject_email = ma.fields.String(allow_none=True)


class DashboardSchema(ma.Schema):
    computed_at = UtcDateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When the account figures were computed; null while they are"},
    )
    users = ma.fields.Nested(UserFiguresSchema, required=True, allow_none=True)
    live_sessions = ma.fields.Integer(required=True, allow_none=True)
    days = ma.fields.List(
        ma.fields.Nested(DaySchema),
        required=True,
        metadata={"description": "Sign-ins per UTC day, oldest first"},
    )
    totals = ma.fields.Nested(TotalsSchema, required=True)
    recent_events = ma.fields.List(ma.fields.Nested(RecentEventSchema), required=True)


@blp.route("/dashboard")
class Dashboard(MethodView):
    @blp.response(200, DashboardSchema)
    @documents_problems(blp, 401, 403)
    def get(self) -> Any:
        """The account figures (a snapshot, recomputed after the response once it is older
        than CONSOLE_DASHBOARD_REFRESH), sign-ins per day over the last 30 days and the
        newest audit events, as the page shows them. Needs users:read."""
        shown = overview.read(auth.actor())
        if shown.stale(naive_utcnow()):

            @after_this_request
            def _recompute(response: Response) -> Response:
                snapshot.refresh_after(response)
                return response

        current = shown.snapshot
        return {
            "computed_at": current.computed_at if current else None,
            "users": current.users if current else None,
            "live_sessions": current.live_sessions if current else None,
            "days": shown.days,
            "totals": shown.totals,
            "recent_events": shown.recent,
        }
