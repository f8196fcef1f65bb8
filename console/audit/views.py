"""Audit pages: the operators' trail with filters, detail and exports; a user's activity."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from ..core import downloads
from ..core.guards import login_redirect, permission_required
from ..core.htmx import render_page_or_fragment
from ..core.paths import admin_route
from ..extensions import db
from ..settings import setting
from . import flows, query
from .models import AuditEvent

bp = Blueprint("audit", __name__)


def _page_size() -> int:
    size = request.args.get("size", type=int) or setting("CONSOLE_PAGE_SIZE")
    return max(1, min(size, setting("CONSOLE_PAGE_SIZE_MAX")))


@admin_route(bp, "/audit/", methods=["GET"])
@permission_required("audit:read")
def index() -> Any:
    """The trail, newest first, filtered; bad filters get a message and no rows."""
    event_filter = query.EventFilter.from_args(request.args)
    before = request.args.get("before", type=int)
    if event_filter.errors:
        result = query.Page([], None)
    else:
        result = query.page(event_filter, before, _page_size())
    response = render_page_or_fragment(
        "audit/list.html",
        "audit/_rows.html",
        events_page=result,
        event_filter=event_filter,
        filter_args=event_filter.as_args(),
    )
    if event_filter.errors:
        response.status_code = 400
    return response


@admin_route(bp, "/audit/<int:event_id>", methods=["GET"])
@permission_required("audit:read")
def detail(event_id: int) -> Any:
    """One event with its diff and its place in the chain."""
    event = db.session.get(AuditEvent, event_id)
    if event is None:
        abort(404)
    return render_template("audit/detail.html", event=event)


def _export(kind: str) -> Response:
    event_filter = query.EventFilter.from_args(request.args)
    if event_filter.errors:
        abort(400)
    rows = flows.export(current_user._get_current_object(), kind, event_filter)
    export = flows.EXPORT_FORMATS[kind]
    return downloads.streamed(rows, export.media_types[0], export.filename)


@admin_route(bp, "/audit/export.csv", methods=["GET"])
@permission_required("audit:read")
def export_csv() -> Response:
    """The filtered trail as CSV, streamed."""
    return _export("csv")


@admin_route(bp, "/audit/export.jsonl", methods=["GET"])
@permission_required("audit:read")
def export_jsonl() -> Response:
    """The filtered trail as JSON Lines, streamed."""
    return _export("jsonl")


@bp.get("/account/activity")
def activity() -> Any:
    """The signed-in user's own security events."""
    if not current_user.is_authenticated:
        return login_redirect()
    before = request.args.get("before", type=int)
    result = query.for_subject(current_user.id, setting("CONSOLE_PAGE_SIZE"), before)
    return render_page_or_fragment(
        "audit/activity.html", "audit/_activity_rows.html", events_page=result
    )


def user_section_context(user: Any) -> dict[str, Any]:
    """The activity section of the operator's user detail page: the newest events."""
    return {"activity": query.for_subject(user.id, 10).events, "activity_user": user}
