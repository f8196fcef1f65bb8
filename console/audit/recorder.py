"""Queue events on the database session and write them in the transaction that commits
the action they describe; the request's id, address and browser go with them."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from flask import Flask, Response, current_app, g, has_app_context, has_request_context, request
from flask_security import naive_utcnow
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..core.signals import events_committed
from ..extensions import db
from . import chain, keys
from .redact import redact

PENDING = "console_audit_pending"
WRITTEN = "console_audit_written"
UNRESOLVED = "_unresolved"
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _person(user: Any) -> tuple[int | None, str | None]:
    if user is None or getattr(user, "id", None) is None:
        return None, None
    email = getattr(user, "email", None)
    return int(user.id), (str(email).lower() if email else None)


def _request_fields() -> dict[str, Any]:
    if not has_request_context():
        return {"ip": None, "user_agent": None, "request_id": None}
    agent = request.user_agent.string or None
    return {
        "ip": (request.remote_addr or None) and str(request.remote_addr)[:45],
        "user_agent": agent[:255] if agent else None,
        "request_id": g.get("request_id"),
    }


def build(
    action: str,
    *,
    actor: Any = None,
    subject: Any = None,
    details: dict[str, Any] | None = None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """The column values of one event (without hashes), secrets already redacted."""
    if not action or len(action) > 80:
        raise ValueError(f"invalid audit action {action!r}")
    values: dict[str, Any] = {
        UNRESOLVED: {},
        "created_at": created_at or naive_utcnow(),
        "action": action,
        **_request_fields(),
        "details": chain.canonical_json(redact(details or {})),
    }
    for role, user in (("actor", actor), ("subject", subject)):
        values[f"{role}_id"], values[f"{role}_email"] = _person(user)
        if user is not None and values[f"{role}_id"] is None:
            # A new account (a registration) gets its id when the session flushes.
            values[UNRESOLVED][role] = user
    return values


def _resolve(session: Session, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if any(event[UNRESOLVED] for event in events):
        session.flush()
    resolved = []
    for queued in events:
        values = dict(queued)
        for role, user in values.pop(UNRESOLVED).items():
            values[f"{role}_id"], values[f"{role}_email"] = _person(user)
        resolved.append(values)
    return resolved


def queue(session: Session, values: dict[str, Any]) -> None:
    """Add an event to `session`; it is written when the session next commits."""
    session.info.setdefault(PENDING, []).append(values)


def pending(session: Session) -> list[dict[str, Any]]:
    """The events waiting for `session` to commit."""
    return list(session.info.get(PENDING, ()))


def _before_commit(session: Session) -> None:
    events = session.info.pop(PENDING, None)
    if events:
        written = chain.append(session, _resolve(session, events), keys.keyring())
        session.info.setdefault(WRITTEN, []).extend(written)


def _after_commit(session: Session) -> None:
    # Only now are the events durable: consumers outside the database hear of them once.
    written = session.info.pop(WRITTEN, None)
    if written:
        sender = current_app._get_current_object() if has_app_context() else None  # type: ignore[attr-defined]
        events_committed.send(sender, events=written)


def _after_rollback(session: Session) -> None:
    # The action was undone, so the events describing it go too.
    session.info.pop(PENDING, None)
    session.info.pop(WRITTEN, None)


def install_session_hooks() -> None:
    """Write queued events in the committing transaction (once per process)."""
    # Every Session class: a worker or a script with its own session appends the same way.
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


def assign_request_id() -> None:
    """Every request gets an id: the proxy's X-Request-ID when well-formed, else a new one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def finish_request(response: Response) -> Response:
    """Commit events that no action committed (a failed sign-in, a sign-out).

    Uncommitted changes the view left behind are not ours to save: they are rolled back
    first. A request that failed with a server error keeps nothing.
    """
    session = db.session()
    events = session.info.pop(PENDING, None)
    if events and response.status_code < 500:
        if not session.is_active or session.new or session.dirty or session.deleted:
            session.rollback()
        session.info[PENDING] = events
        session.commit()
    if g.get("request_id"):
        response.headers.setdefault(REQUEST_ID_HEADER, g.request_id)
    return response


def init_app(app: Flask) -> None:
    """Request ids and the end-of-request commit of leftover events."""
    keys.init_app(app)
    install_session_hooks()
    app.before_request(assign_request_id)
    # After-request hooks run last-registered first; this one goes to the front of the list
    # so that it runs after every feature's own end-of-request commit.
    app.after_request_funcs.setdefault(None, []).insert(0, finish_request)
