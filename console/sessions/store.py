"""The registry's storage: hashing, lookups, expiry rules and bulk ends; no request in here."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_security import naive_utcnow
from sqlalchemy import Select, and_, delete, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..core.models import models
from ..core.search import like_prefix, prefix_range
from ..extensions import db
from ..mixins import ConsoleUserMixin
from .models import SessionRecord

# Why a session stopped; stored in end_reason and sent with the audit event.
REASONS = (
    "signed_out",
    "revoked",
    "ended_others",
    "replaced",
    "idle",
    "absolute",
    "deactivated",
    "credentials_changed",
    "password_changed",
    "password_reset",
    "email_changed",
    "mfa_changed",
    "mfa_reset",
)


def now() -> datetime:
    """The registry's clock (naive UTC); tests replace it to move time."""
    return naive_utcnow()


def digest(secret: str) -> str:
    """SHA-256 of a session or remember secret: the only form the database ever sees."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    """A fresh 256-bit secret for a session id or a remember-me cookie."""
    return secrets.token_urlsafe(32)


def create(
    user: ConsoleUserMixin,
    *,
    auth_method: str,
    second_factor: str | None,
    ip: str | None,
    user_agent: str | None,
    lifetime: timedelta,
) -> tuple[SessionRecord, str]:
    """A new record for `user` (added, not committed) and the raw id for the cookie."""
    sid = new_secret()
    moment = now()
    record = SessionRecord(
        key=secrets.token_hex(8),
        token_hash=digest(sid),
        user_id=user.id,
        created_at=moment,
        last_seen_at=moment,
        expires_at=moment + lifetime,
        ip=(ip or None) and ip[:64],
        user_agent=(user_agent or None) and user_agent[:512],
        auth_method=auth_method[:32],
        second_factor=second_factor[:32] if second_factor else None,
    )
    record.user = user
    db.session.add(record)
    return record, sid


def rotate(record: SessionRecord) -> str:
    """Give `record` a new id (the old cookie stops working); returns the raw id."""
    sid = new_secret()
    record.token_hash = digest(sid)
    return sid


def find_with_user(sid: str) -> tuple[Any, SessionRecord] | None:
    """The record for session id `sid` and its user, in one query on a unique index."""
    User = models().User
    row = db.session.execute(
        select(User, SessionRecord)
        .join(SessionRecord, SessionRecord.user_id == User.id)
        .where(SessionRecord.token_hash == digest(sid))
    ).first()
    return (row[0], row[1]) if row else None


def find_by_remember(secret: str) -> tuple[Any, SessionRecord] | None:
    """The record whose remember-me cookie carries `secret`, and its user, in one query."""
    User = models().User
    row = db.session.execute(
        select(User, SessionRecord)
        .join(SessionRecord, SessionRecord.user_id == User.id)
        .where(SessionRecord.remember_hash == digest(secret))
    ).first()
    return (row[0], row[1]) if row else None


def ended_reason(record: SessionRecord, moment: datetime, idle: timedelta) -> str | None:
    """Why `record` is no longer usable at `moment`, or None while it is live."""
    if record.ended_at is not None:
        return record.end_reason or "revoked"
    if moment >= record.expires_at:
        return "absolute"
    if moment - record.last_seen_at >= idle:
        return "idle"
    return None


def touch(record: SessionRecord, moment: datetime) -> None:
    """Write last-seen on its own short transaction, leaving the request's ORM session alone."""
    with db.engine.begin() as connection:
        connection.execute(
            update(SessionRecord.__table__)
            .where(SessionRecord.__table__.c.id == record.id)
            .values(last_seen_at=moment)
        )
    set_committed_value(record, "last_seen_at", moment)


def mark_ended(records: Iterable[SessionRecord], reason: str, moment: datetime) -> None:
    """End `records` (not committed); their ids and remember cookies die with them."""
    for record in records:
        record.ended_at = moment
        record.end_reason = reason
        record.remember_hash = None


def live_clause(moment: datetime, idle: timedelta):  # noqa: ANN201 - a SQL expression
    """SQL condition for records that are still live at `moment`."""
    return and_(
        SessionRecord.ended_at.is_(None),
        SessionRecord.expires_at > moment,
        SessionRecord.last_seen_at > moment - idle,
    )


def live_for_user(user_id: int, moment: datetime, idle: timedelta) -> list[SessionRecord]:
    """A user's live sessions, most recently seen first."""
    stmt = (
        select(SessionRecord)
        .where(SessionRecord.user_id == user_id, live_clause(moment, idle))
        .order_by(SessionRecord.last_seen_at.desc(), SessionRecord.id.desc())
    )
    return list(db.session.scalars(stmt))


def by_keys(keys: Sequence[str], user_id: int | None = None) -> list[SessionRecord]:
    """Records by public handle, optionally only `user_id`'s."""
    if not keys:
        return []
    stmt = with_users(select(SessionRecord)).where(SessionRecord.key.in_(list(keys)))
    if user_id is not None:
        stmt = stmt.where(SessionRecord.user_id == user_id)
    return _records(stmt)


def with_users(stmt: Select[Any]) -> Select[Any]:
    """`stmt` over records, joined to their users and selecting them too (see _records)."""
    User = models().User
    return stmt.add_columns(User).join(User, User.id == SessionRecord.user_id)


def _records(stmt: Select[Any]) -> list[SessionRecord]:
    # Each record keeps the user its row brought, so `record.user` costs no query.
    records = []
    for record, user in db.session.execute(stmt):
        record.user = user
        records.append(record)
    return records


@dataclass(frozen=True)
class Filters:
    """Operator list filters; every field optional."""

    email: str = ""
    ip: str = ""
    age: str = ""
    method: str = ""


# Age filter choices: signed in within a period, or longer ago than a week.
AGES: dict[str, tuple[str, timedelta]] = {
    "1h": ("within", timedelta(hours=1)),
    "24h": ("within", timedelta(hours=24)),
    "7d": ("within", timedelta(days=7)),
    "older7d": ("older", timedelta(days=7)),
}


def live_page(
    filters: Filters,
    moment: datetime,
    idle: timedelta,
    limit: int,
    before: tuple[datetime, int] | None = None,
) -> list[SessionRecord]:
    """One keyset page of live sessions across users, most recently seen first."""
    User = models().User
    stmt = (
        with_users(select(SessionRecord))
        .where(live_clause(moment, idle), User.active.is_(True))
        .order_by(SessionRecord.last_seen_at.desc(), SessionRecord.id.desc())
        .limit(limit)
    )
    if filters.email.strip():
        # A range on lower(email), which the case-insensitive email index serves.
        stmt = stmt.where(prefix_range(User.email, filters.email.strip()))
    if filters.ip:
        stmt = stmt.where(like_prefix(SessionRecord.ip, filters.ip.strip()))
    if filters.age in AGES:
        kind, span = AGES[filters.age]
        edge = moment - span
        if kind == "within":
            stmt = stmt.where(SessionRecord.created_at >= edge)
        else:
            stmt = stmt.where(SessionRecord.created_at < edge)
    if filters.method:
        stmt = stmt.where(SessionRecord.auth_method == filters.method)
    if before is not None:
        seen, record_id = before
        stmt = stmt.where(
            or_(
                SessionRecord.last_seen_at < seen,
                and_(SessionRecord.last_seen_at == seen, SessionRecord.id < record_id),
            )
        )
    return _records(stmt)


def purgeable(moment: datetime, idle: timedelta, limit: int) -> list[SessionRecord]:
    """Up to `limit` records that can no longer be used (ended, idle or past their lifetime)."""
    stmt = (
        select(SessionRecord)
        .where(
            or_(
                SessionRecord.expires_at <= moment,
                SessionRecord.last_seen_at <= moment - idle,
            )
        )
        .order_by(SessionRecord.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def delete_ids(ids: Sequence[int]) -> int:
    """Delete records by id; returns how many went."""
    if not ids:
        return 0
    result = db.session.execute(delete(SessionRecord).where(SessionRecord.id.in_(list(ids))))
    return int(result.rowcount or 0)
