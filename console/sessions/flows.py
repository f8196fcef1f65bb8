"""Session flows: start, rotate, end, list and purge; the one path for views, signals and CLI."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from flask import current_app, g, has_request_context, request, session
from sqlalchemy import select

from ..core import policy
from ..core.models import models
from ..core.signals import emit
from ..extensions import db
from ..mixins import ConsoleUserMixin
from ..settings import setting
from . import store
from .models import SessionRecord

log = logging.getLogger(__name__)

# The raw session id lives in Flask's signed session cookie under this key.
SID_KEY = "_sid"
# The first factor of a sign-in that still waits for its second factor.
PENDING_PRIMARY_KEY = "_console_primary"

# Flask-Security's authn_via values -> SessionRecord.auth_method codes.
AUTHN_VIA = {
    "password": "password",
    "webauthn": "passkey",
    "email": "email_code",
    "authenticator": "authenticator_code",
    "sms": "sms_code",
    "reset": "password_reset",
    "confirm": "confirmation",
    "register": "registration",
    "token": "email_link",
    "oauth": "oauth",
}

# The first factor a Flask-Security endpoint checks, when its authn_via is not at hand.
PRIMARY_BY_ENDPOINT = {
    "security.login": "password",
    "security.us_signin": "password",
    "security.wan_signin_response": "passkey",
    "security.us_verify_link": "email_link",
    "security.token_login": "email_link",
    "security.reset_password": "password_reset",
    "security.confirm_email": "confirmation",
    "security.register": "registration",
}

# Endpoints that complete a pending sign-in with a second factor.
SECOND_FACTOR_BY_ENDPOINT = {
    "security.two_factor_token_validation": None,  # the user's code method
    "security.wan_signin_response": "webauthn",
    "security.mf_recovery": "recovery_code",
}

# Which audit action an end gets, by reason.
ACTIONS = {
    "signed_out": "session.signed_out",
    "idle": "session.expired",
    "absolute": "session.expired",
    "revoked": "session.revoked",
    "ended_others": "session.ended_others",
}


def idle_timeout() -> timedelta:
    return setting("CONSOLE_SESSION_IDLE_TIMEOUT")


def lifetime() -> timedelta:
    return setting("CONSOLE_SESSION_ABSOLUTE_TIMEOUT")


def touch_interval() -> timedelta:
    return setting("CONSOLE_SESSION_TOUCH_INTERVAL")


def current() -> SessionRecord | None:
    """The record of this request's session, once the user loader has accepted it."""
    return g.get("console_session")


def _mark_dirty() -> None:
    g.console_dirty = True


def _emit_ended(record: SessionRecord, reason: str, actor: Any, action: str | None) -> None:
    emit(
        action or ACTIONS.get(reason, "session.ended"),
        actor=actor,
        subject=record.user,
        session=record.short_id,
        reason=reason,
    )


def _end(
    records: Iterable[SessionRecord], reason: str, actor: Any = None, action: str | None = None
) -> int:
    """End live `records`, emitting one event each; the caller commits."""
    moment = store.now()
    ended = [r for r in records if r.ended_at is None]
    # Callers may pass free text (an operator's reason); the column keeps a known code.
    store.mark_ended(ended, reason if reason in store.REASONS else "revoked", moment)
    for record in ended:
        _emit_ended(record, reason, actor, action)
    return len(ended)


def _describe_sign_in(user: ConsoleUserMixin) -> tuple[str, str | None]:
    """(auth_method, second_factor) for the sign-in happening in this request."""
    endpoint = request.endpoint or ""
    if session.get("tf_user_id") and endpoint in SECOND_FACTOR_BY_ENDPOINT:
        primary = session.pop(PENDING_PRIMARY_KEY, None) or "password"
        second = SECOND_FACTOR_BY_ENDPOINT[endpoint]
        if second is None:
            second = g.get("console_tf_method") or user.tf_primary_method or "authenticator"
        return primary, second
    session.pop(PENDING_PRIMARY_KEY, None)
    return PRIMARY_BY_ENDPOINT.get(endpoint, "other"), None


def begin(user: ConsoleUserMixin) -> SessionRecord:
    """A user has just signed in on this browser: issue a fresh session id.

    Whatever id the cookie carried before is discarded, so an id planted before sign-in
    is never authenticated. The same person signing in again on a live session (a password
    change re-signs the user in) keeps the record and only gets a new id.
    """
    previous = current()
    moment = store.now()
    if (
        previous is not None
        and previous.user_id == user.id
        and store.ended_reason(previous, moment, idle_timeout()) is None
    ):
        session[SID_KEY] = store.rotate(previous)
        g.console_signed_in = True
        _mark_dirty()
        return previous
    if previous is not None:
        # Another account signs in on this browser: the earlier one's session stops here.
        _end([previous], "replaced", actor=None)
    method, second = _describe_sign_in(user)
    record, sid = store.create(
        user,
        auth_method=method,
        second_factor=second,
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
        lifetime=lifetime(),
    )
    session[SID_KEY] = sid
    g.console_session = record
    g.console_signed_in = True
    _mark_dirty()
    return record


def describe_authentication(authn_via: Sequence[str] | None) -> None:
    """Refine the new record's method from Flask-Security's authn_via, when it says one."""
    record = current()
    if record is None or not authn_via or not g.get("console_signed_in"):
        return
    if record.second_factor is not None:
        return
    method = AUTHN_VIA.get(authn_via[0])
    if request.endpoint == "security.us_verify_link":
        method = "email_link"
    if method and authn_via[0] != "change":
        record.auth_method = method
        _mark_dirty()


def remember_pending_primary() -> None:
    """A first factor passed and a second is now due: keep which one for the record."""
    endpoint = request.endpoint or ""
    if endpoint in PRIMARY_BY_ENDPOINT and session.get("tf_user_id"):
        session[PENDING_PRIMARY_KEY] = PRIMARY_BY_ENDPOINT[endpoint]


def rotate_current() -> bool:
    """Give this browser's session a new id after a privilege change (re-authentication)."""
    record = current()
    if record is None or record.ended_at is not None:
        return False
    session[SID_KEY] = store.rotate(record)
    _mark_dirty()
    return True


def end_current(reason: str = "signed_out", actor: Any = None) -> None:
    """End this browser's session (sign-out) and forget its id."""
    record = current()
    session.pop(SID_KEY, None)
    g.pop("console_session", None)
    if record is not None and _end([record], reason, actor=actor):
        db.session.commit()


def expire(record: SessionRecord, reason: str) -> None:
    """Record that the user loader found `record` unusable (idle, too old, deactivated...)."""
    if record.ended_at is None:
        _end([record], reason, actor=None)
        db.session.commit()


def end_session(record: SessionRecord, actor: Any, reason: str = "revoked") -> bool:
    """End one session (by its owner or an operator); True when it was still live."""
    policy.require(actor, "sessions:revoke", target=record.user)
    if record.ended_at is not None:
        return False
    _end([record], reason, actor=actor, action="session.revoked")
    db.session.commit()
    return True


def end_sessions(
    records: Sequence[SessionRecord], actor: Any, reason: str = "revoked"
) -> tuple[int, list[str]]:
    """End several sessions at once (operators' bulk end): (how many were live, refusals).

    Sessions of accounts that outrank `actor` are left alone and their refusals returned,
    one per account; the others end together.
    """
    allowed: list[SessionRecord] = []
    refusals: dict[int, str] = {}
    for record in records:
        error = policy.refusal(actor, "sessions:revoke", target=record.user)
        if error is None:
            allowed.append(record)
        else:
            refusals.setdefault(record.user_id, str(error))
    count = _end(allowed, reason, actor=actor, action="session.revoked")
    db.session.commit()
    return count, list(refusals.values())


def end_other_sessions(
    user: ConsoleUserMixin,
    keep: SessionRecord | None = None,
    actor: Any = None,
    reason: str = "ended_others",
) -> int:
    """End every live session of `user` except `keep` (and their API refresh tokens)."""
    moment = store.now()
    records = [
        r
        for r in store.live_for_user(user.id, moment, idle_timeout())
        if keep is None or r.id != keep.id
    ]
    count = _end(records, reason, actor=actor or user, action="session.ended_others")
    count += _revoke_families(live_families(user), actor or user, reason)
    db.session.commit()
    return count


def end_all_sessions(
    user: ConsoleUserMixin, actor: Any = None, reason: str = "revoked", commit: bool = True
) -> int:
    """End every session of `user` (deactivation, an operator's MFA reset...).

    With commit=False the ends ride along with the caller's transaction.
    """
    moment = store.now()
    records = store.live_for_user(user.id, moment, idle_timeout())
    count = _end(records, reason, actor=actor, action="session.revoked")
    count += _revoke_families(live_families(user), actor, reason)
    if commit:
        db.session.commit()
    elif has_request_context():
        _mark_dirty()
    return count


def refresh_tokens_enabled() -> bool:
    return bool(current_app.config.get("SECURITY_REFRESH_TOKEN"))


def live_families(user: ConsoleUserMixin) -> list[Any]:
    """The user's live API refresh-token families (none when refresh tokens are off)."""
    FsRefreshTracker = models().RefreshTracker
    if not refresh_tokens_enabled():
        return []
    stmt = (
        select(FsRefreshTracker)
        .where(
            FsRefreshTracker.user_id == user.id,
            FsRefreshTracker.revoked_at.is_(None),
            FsRefreshTracker.expires_at > store.now(),
        )
        .order_by(FsRefreshTracker.last_used_at.desc())
    )
    return list(db.session.scalars(stmt))


def find_family(family: str, user_id: int | None = None) -> Any:
    FsRefreshTracker = models().RefreshTracker
    stmt = select(FsRefreshTracker).where(FsRefreshTracker.refresh_family == family)
    if user_id is not None:
        stmt = stmt.where(FsRefreshTracker.user_id == user_id)
    return db.session.scalar(stmt)


def _revoke_families(families: Iterable[Any], actor: Any, reason: str) -> int:
    from flask_security.proxies import _datastore

    User = models().User
    count = 0
    for tracker in families:
        if tracker.revoked_at is not None:
            continue
        _datastore.revoke_refresh_tracker(tracker)
        subject = db.session.get(User, tracker.user_id)
        emit(
            "session.revoked",
            actor=actor,
            subject=subject,
            session=tracker.refresh_family[:8],
            kind="refresh_token",
            reason=reason,
        )
        count += 1
    return count


def revoke_family(tracker: Any, actor: Any, reason: str = "revoked") -> bool:
    """Revoke one API refresh-token family (by its owner or an operator)."""
    User = models().User
    policy.require(actor, "sessions:revoke", target=db.session.get(User, tracker.user_id))
    count = _revoke_families([tracker], actor, reason)
    db.session.commit()
    return bool(count)


def purge(limit: int = 500) -> int:
    """Delete up to `limit` records that can no longer be used; returns how many went.

    A record that ended unseen (idle or past its lifetime) gets its session.expired event
    here, so every end of a session is recorded once.
    """
    User = models().User
    moment = store.now()
    idle = idle_timeout()
    records = store.purgeable(moment, idle, limit)
    if not records:
        return 0
    users = {
        u.id: u
        for u in db.session.scalars(select(User).where(User.id.in_({r.user_id for r in records})))
    }
    for record in records:
        if record.ended_at is None:
            reason = store.ended_reason(record, moment, idle) or "absolute"
            emit(
                "session.expired",
                actor=None,
                subject=users.get(record.user_id),
                session=record.short_id,
                reason=reason,
            )
    count = store.delete_ids([r.id for r in records])
    db.session.commit()
    return count


def purge_all(batch: int = 500) -> Iterable[int]:
    """Purge in batches until nothing is left; yields each batch's count."""
    while True:
        count = purge(batch)
        if not count:
            return
        yield count


def purge_everything() -> int:
    """Purge every dead record, a batch per transaction (the workers' schedule)."""
    return sum(purge_all())


def live_for(user: ConsoleUserMixin) -> list[SessionRecord]:
    """A user's live sessions, most recently seen first."""
    return store.live_for_user(user.id, store.now(), idle_timeout())


def sessions_by_keys(
    keys: Sequence[str], user: ConsoleUserMixin | None = None
) -> list[SessionRecord]:
    return store.by_keys(keys, user.id if user is not None else None)


def impersonate(user: ConsoleUserMixin, lifetime: timedelta) -> str | None:
    """Put this browser in a new session of `user` lasting at most `lifetime` (an operator
    impersonating the account), keeping its own session live but out of the cookie.

    Returns the raw id of the kept session, for `resume`; not committed. The new session is
    in `user`'s list like any other, so they (or an operator) can end it.
    """
    kept = session.pop(SID_KEY, None)
    record, sid = store.create(
        user,
        auth_method="impersonation",
        second_factor=None,
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
        lifetime=lifetime,
    )
    session[SID_KEY] = sid
    g.console_session = record
    # Not a sign-in of this browser's own: no rotation for a changed sign-in time.
    g.console_signed_in = True
    _mark_dirty()
    return kept


def resume(sid: str | None, reason: str, actor: Any = None) -> Any:
    """End this browser's session (for `reason`) and give it back the kept session whose
    raw id is `sid`, under a new id; returns that session's user, or None when it is no
    longer live (the browser is then in no session). Not committed."""
    record = current()
    session.pop(SID_KEY, None)
    g.pop("console_session", None)
    if record is not None:
        _end([record], reason, actor=actor)
    found = store.find_with_user(sid) if sid else None
    if found is None:
        return None
    user, kept = found
    if store.ended_reason(kept, store.now(), idle_timeout()) is not None or not user.active:
        return None
    session[SID_KEY] = store.rotate(kept)
    g.console_session = kept
    g.console_signed_in = True
    _mark_dirty()
    return user


def end_kept(sid: str | None, reason: str, actor: Any = None) -> bool:
    """End the kept session whose raw id is `sid` (the browser left it and will not come
    back to it); True when it was still live. Not committed."""
    found = store.find_with_user(sid) if sid else None
    return bool(found and _end([found[1]], reason, actor=actor))
