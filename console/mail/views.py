"""The outbox pages: a list of stored messages and one message with its links."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from ..core.guards import permission_required
from ..core.htmx import render_page_or_fragment
from ..extensions import db
from .models import OutboxMessage

bp = Blueprint("mail", __name__)

PAGE_SIZE = 50


@bp.get("/")
@permission_required("mail:read")
def outbox():
    """Newest first, keyset-paged by id."""
    before = request.args.get("before", type=int)
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE + 1)
    if before:
        stmt = stmt.where(OutboxMessage.id < before)
    rows = list(db.session.scalars(stmt))
    next_before = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
    return render_page_or_fragment(
        "mail/outbox.html", "mail/_rows.html", messages=rows[:PAGE_SIZE], next_before=next_before
    )


@bp.get("/<int:message_id>")
@permission_required("mail:read")
def message(message_id: int):
    """One message, its text body shown as text (links stay clickable)."""
    found = db.session.get(OutboxMessage, message_id)
    if found is None:
        abort(404)
    return render_template("mail/message.html", message=found)
