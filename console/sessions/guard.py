"""Every authenticated request is checked against the registry before the cookie is trusted.

Flask-Login's user loader is replaced by one that accepts a session only when the id in
the signed cookie hashes to a live record (one indexed query that also loads the user).
Remember-me cookies carry a per-session secret instead of the bare user id, so a cookie
whose session ended can never sign back in.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from flask import Flask, Response, current_app, flash, g, redirect, request, session
from flask_login import current_user
from flask_login.utils import encode_cookie
from flask_security import url_for_security
from flask_security.utils import set_request_attr

from ..core import jobs
from ..core.errors import render_error, wants_json
from ..core.htmx import hx_redirect, is_htmx
from ..core.paths import under_prefix
from ..core.redirects import current_path, safe_url
from ..extensions import db
from ..settings import setting
from . import flows, labels, store

# Remember-cookie payloads this module writes start with the marker: "~<secret>~<user id>".
REMEMBER_MARKER = "~"
# Flask-Login and Flask-Security keys that make a session "signed in".
SIGNED_IN_KEYS = (
    "_user_id",
    "_fresh",
    "_id",
    flows.SID_KEY,
    "fs_paa",
    "fs_gexp",
    "identity.name",
    "identity.auth_type",
)
# Requests that must not be turned into a sign-in redirect.
PASS_THROUGH = {"security.login", "security.logout", "console.healthz"}


def _remember_cookie_name() -> str:
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")


def _refuse(reason: str) -> None:
    """Forget the signed-in state of this browser, and its remember cookie."""
    for key in SIGNED_IN_KEYS:
        session.pop(key, None)
    if _remember_cookie_name() in request.cookies:
        session["_remember"] = "clear"
    g.console_session_ended = reason
    return None


def _accept(user: Any, record: Any) -> Any:
    g.console_session = record
    set_request_attr("fs_authn_via", "session")
    set_request_attr("fs_paa", session.get("fs_paa", 0))
    return user


def _check(user: Any, record: Any, user_id: str) -> str | None:
    reason = store.ended_reason(record, store.now(), flows.idle_timeout())
    if reason is None and not user.active:
        reason = "deactivated"
    if reason is None and str(user.fs_uniquifier) != user_id:
        # Flask-Security rotated the uniquifier (password change): every old session ends.
        reason = "credentials_changed"
    if reason is not None:
        flows.expire(record, reason)
    return reason


def load_user(user_id: str) -> Any:
    """Flask-Login's user loader: a user only for a live registry record."""
    if not user_id:
        return None
    if user_id.startswith(REMEMBER_MARKER):
        return _load_from_remember_cookie(user_id)
    sid = session.get(flows.SID_KEY)
    if not sid:
        return _refuse("missing")
    found = store.find_with_user(sid)
    if found is None:
        return _refuse("missing")
    user, record = found
    reason = _check(user, record, user_id)
    if reason is not None:
        return _refuse(reason)
    moment = store.now()
    if moment - record.last_seen_at >= flows.touch_interval():
        store.touch(record, moment)
    return _accept(user, record)


def _load_from_remember_cookie(payload: str) -> Any:
    """Resume the session a remember-me cookie belongs to, under a fresh session id."""
    _, secret, user_id = (payload.split(REMEMBER_MARKER, 2) + ["", ""])[:3]
    found = store.find_by_remember(secret) if secret else None
    if found is None:
        return _refuse("missing")
    user, record = found
    reason = _check(user, record, user_id)
    if reason is not None:
        return _refuse(reason)
    session[flows.SID_KEY] = store.rotate(record)
    session["_user_id"] = user_id
    record.last_seen_at = store.now()
    db.session.commit()
    return _accept(user, record)


def _write_remember_cookie(response: Response) -> Response:
    """Runs before Flask-Login's hook and writes the registry-bound cookie in its place."""
    if session.get("_remember") != "set":
        return response
    record = flows.current()
    user_id = session.get("_user_id")
    session.pop("_remember", None)
    if record is None or user_id is None or record.ended_at is not None:
        return response
    secret = store.new_secret()
    record.remember_hash = store.digest(secret)
    db.session.commit()
    config = current_app.config
    seconds = session.get("_remember_seconds")
    duration = (
        timedelta(seconds=seconds)
        if seconds
        else config.get("REMEMBER_COOKIE_DURATION", timedelta(days=365))
    )
    if isinstance(duration, int):
        duration = timedelta(seconds=duration)
    expires = min(store.now() + duration, record.expires_at)
    response.set_cookie(
        _remember_cookie_name(),
        value=encode_cookie(f"{REMEMBER_MARKER}{secret}{REMEMBER_MARKER}{user_id}"),
        expires=expires,
        domain=config.get("REMEMBER_COOKIE_DOMAIN"),
        path=config.get("REMEMBER_COOKIE_PATH", "/"),
        secure=config.get("REMEMBER_COOKIE_SECURE", False),
        httponly=config.get("REMEMBER_COOKIE_HTTPONLY", True),
        samesite=config.get("REMEMBER_COOKIE_SAMESITE"),
    )
    return response


def _ended_response(reason: str) -> Response | None:
    flash(str(labels.ENDED_MESSAGES.get(reason, labels.ENDED_DEFAULT)), "info")
    endpoint = request.endpoint or ""
    # Flask-Security's own pages send anonymous visitors to sign in where they need to.
    if endpoint in PASS_THROUGH or endpoint.startswith("security."):
        return None
    if request.method == "GET" and not is_htmx():
        target = url_for_security("login", next=safe_url(current_path()))
    else:
        target = url_for_security("login")
    if is_htmx():
        return hx_redirect(target)
    if wants_json():
        return render_error(401)
    return redirect(target)


def init_app(app: Flask, prefix: str) -> None:
    """Install the loader and the request hooks on `app`."""
    app.login_manager.user_loader(load_user)

    def mine() -> bool:
        return under_prefix(prefix)

    @app.before_request
    def _check_session() -> Response | None:
        endpoint = request.endpoint or ""
        if endpoint == "static" or endpoint.endswith(".static"):
            return None
        g.console_paa_before = session.get("fs_paa")
        claimed = "_user_id" in session or _remember_cookie_name() in request.cookies
        if claimed:
            current_user._get_current_object()  # runs the loader now, before any view
        reason = g.pop("console_session_ended", None)
        if reason is None or not mine():
            return None
        return _ended_response(reason)

    @app.after_request
    def _after(response: Response) -> Response:
        if request.method == "POST":
            flows.remember_pending_primary()
        record = flows.current()
        if (
            record is not None
            and not g.get("console_signed_in")
            and session.get("fs_paa") != g.get("console_paa_before")
            and "console_paa_before" in g
        ):
            # A re-authentication raised the session's privileges: new id.
            flows.rotate_current()
        response = _write_remember_cookie(response)
        if g.pop("console_dirty", False):
            db.session.commit()
        _maybe_purge(response)
        return response


def _maybe_purge(response: Response) -> None:
    """Now and then, after the response is sent, delete a small batch of dead records."""
    probability = setting("CONSOLE_SESSION_PURGE_PROBABILITY")
    if probability <= 0 or random.random() >= probability:  # noqa: S311 - not security
        return
    if jobs.in_background():  # the workers purge on their schedule
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def purge_later() -> None:
        with app.app_context():
            try:
                flows.purge(limit=200)
            except Exception:  # a failed purge must never affect the request
                flows.log.exception("opportunistic session purge failed")
                db.session.rollback()
            finally:
                db.session.remove()

    response.call_on_close(purge_later)
