"""The dashboard's figures: indexed counts, daily counters and a short-lived cache."""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_security import naive_utcnow
from sqlalchemy import and_, case, exists, func, or_, select

from ..audit.models import AuditDailyCount
from ..audit.query import recent
from ..extensions import db
from ..models import Role, User, WebAuthn, roles_users
from ..settings import setting

CACHE_KEY = "console_dashboard_cache"
SIGN_IN = "user.login"
SIGN_IN_FAILED = "user.login_failed"


@dataclass(frozen=True)
class RoleCoverage:
    """How many members of a role have a second factor."""

    role_id: int
    name: str
    members: int
    with_mfa: int

    @property
    def percent(self) -> int:
        return round(100 * self.with_mfa / self.members) if self.members else 0


@dataclass
class UserFigures:
    """Counts over the user table (cached for CONSOLE_DASHBOARD_CACHE_TTL)."""

    total: int
    active: int
    locked: int
    unconfirmed: int
    with_mfa: int
    dormant: int
    dormant_before: date
    roles: list[RoleCoverage] = field(default_factory=list)
    computed_at: datetime | None = None

    @property
    def mfa_percent(self) -> int:
        return round(100 * self.with_mfa / self.total) if self.total else 0


@dataclass(frozen=True)
class Day:
    """Sign-ins and failed sign-ins on one UTC day."""

    day: date
    sign_ins: int
    failures: int


def has_mfa() -> Any:
    """A second factor: a two-factor method or any WebAuthn key."""
    return or_(User.tf_primary_method.is_not(None), exists().where(WebAuthn.user_id == User.id))


def _user_figures(now: datetime) -> UserFigures:
    dormant_before = (now - timedelta(days=int(setting("DORMANT_DAYS")))).date()
    cutoff = datetime.combine(dormant_before, datetime.min.time())
    locked = and_(User.locked_until.is_not(None), User.locked_until > now)
    # One pass over the user table for every per-user figure.
    row = db.session.execute(
        select(
            func.count(),
            func.count(case((User.active.is_(True), 1))),
            func.count(case((locked, 1))),
            func.count(case((User.confirmed_at.is_(None), 1))),
            func.count(case((has_mfa(), 1))),
            func.count(case((and_(User.active.is_(True), User.current_login_at < cutoff), 1))),
        ).select_from(User)
    ).one()
    per_role = db.session.execute(
        select(
            Role.id,
            Role.name,
            func.count(roles_users.c.user_id),
            func.count(case((has_mfa(), 1))),
        )
        .select_from(Role)
        .outerjoin(roles_users, roles_users.c.role_id == Role.id)
        .outerjoin(User, User.id == roles_users.c.user_id)
        .group_by(Role.id, Role.name)
        .order_by(Role.name)
    ).all()
    return UserFigures(
        total=row[0],
        active=row[1],
        locked=row[2],
        unconfirmed=row[3],
        with_mfa=row[4],
        dormant=row[5],
        dormant_before=dormant_before,
        roles=[RoleCoverage(r[0], r[1], r[2], r[3]) for r in per_role],
        computed_at=now,
    )


def user_figures(fresh: bool = False) -> UserFigures:
    """The user counts, recomputed at most once per cache period per worker."""
    ttl = setting("DASHBOARD_CACHE_TTL").total_seconds()
    cached = current_app.extensions.get(CACHE_KEY)
    if not fresh and cached and cached[0] > clock.monotonic():
        return cached[1]
    figures = _user_figures(naive_utcnow())
    current_app.extensions[CACHE_KEY] = (clock.monotonic() + ttl, figures)
    return figures


def daily(days: int = 30, today: date | None = None) -> list[Day]:
    """Sign-ins and failures per day for the last `days` days, from the daily counters."""
    today = today or naive_utcnow().date()
    first = today - timedelta(days=days - 1)
    rows = db.session.execute(
        select(AuditDailyCount.day, AuditDailyCount.action, AuditDailyCount.count).where(
            AuditDailyCount.day >= first,
            AuditDailyCount.day <= today,
            AuditDailyCount.action.in_((SIGN_IN, SIGN_IN_FAILED)),
        )
    ).all()
    counts = {(r.day, r.action): r.count for r in rows}
    return [
        Day(d, counts.get((d, SIGN_IN), 0), counts.get((d, SIGN_IN_FAILED), 0))
        for d in (first + timedelta(days=i) for i in range(days))
    ]


def live_sessions() -> int | None:
    """Live sessions from the session registry, or None where that feature is absent."""
    try:
        from ..sessions import store
        from ..sessions.models import SessionRecord
    except ImportError:
        return None
    if not hasattr(store, "live_clause"):
        return None
    now = naive_utcnow()
    clause = store.live_clause(now, setting("SESSION_IDLE_TIMEOUT"))
    return int(db.session.scalar(select(func.count(SessionRecord.id)).where(clause)) or 0)


def recent_events(limit: int = 10) -> list[Any]:
    """The newest audit events."""
    return recent(limit)
