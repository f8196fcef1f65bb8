"""The dashboard's figures: batched counts for the snapshot, daily counters, recent events."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_security import naive_utcnow
from sqlalchemy import and_, case, func, select

from ..audit.models import AuditDailyCount
from ..audit.query import recent
from ..core import factors
from ..core.models import models
from ..extensions import db
from ..settings import setting

# Users (and sessions) per statement while computing the snapshot.
BATCH = 50_000
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
    """Counts over the user table, as of `computed_at`."""

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
    """A second factor, as the factor registry defines it."""
    return factors.has_second_factor_condition()


def _ranges(column: Any, batch: int) -> Iterator[tuple[int, int]]:
    """[low, high) id ranges of `batch` ids covering the table of `column` (its primary key)."""
    bounds = db.session.execute(select(func.min(column), func.max(column))).one()
    if bounds[0] is None:
        return
    low, top = int(bounds[0]), int(bounds[1])
    while low <= top:
        yield low, min(low + batch, top + 1)
        low += batch


def compute_user_figures(
    now: datetime, batch: int = BATCH, progress: Callable[[int], None] | None = None
) -> UserFigures:
    """Every per-user and per-role figure, in id ranges of `batch` users (short statements)."""
    Role = models().Role
    User = models().User
    roles_users = models().roles_users
    dormant_before = (now - timedelta(days=int(setting("CONSOLE_DORMANT_DAYS")))).date()
    cutoff = datetime.combine(dormant_before, datetime.min.time())
    locked = and_(User.locked_until.is_not(None), User.locked_until > now)
    totals = [0] * 6
    members: dict[int, list[int]] = {}
    for low, high in _ranges(User.id, batch):
        row = db.session.execute(
            select(
                func.count(),
                func.count(case((User.active.is_(True), 1))),
                func.count(case((locked, 1))),
                func.count(case((User.confirmed_at.is_(None), 1))),
                func.count(case((has_mfa(), 1))),
                func.count(case((and_(User.active.is_(True), User.current_login_at < cutoff), 1))),
            ).where(User.id >= low, User.id < high)
        ).one()
        totals = [a + int(b or 0) for a, b in zip(totals, row, strict=True)]
        per_role = db.session.execute(
            select(roles_users.c.role_id, func.count(), func.count(case((has_mfa(), 1))))
            .select_from(roles_users)
            .join(User, User.id == roles_users.c.user_id)
            .where(roles_users.c.user_id >= low, roles_users.c.user_id < high)
            .group_by(roles_users.c.role_id)
        )
        for role_id, count, with_mfa in per_role:
            seen = members.setdefault(role_id, [0, 0])
            seen[0] += int(count)
            seen[1] += int(with_mfa)
        # Each batch in its own short transaction: a long read would hold up every writer on
        # SQLite (outside WAL mode) and keep PostgreSQL's oldest snapshot open.
        db.session.commit()
        if progress:
            progress(high - low)
    roles = db.session.execute(select(Role.id, Role.name).order_by(Role.name)).all()
    return UserFigures(
        total=totals[0],
        active=totals[1],
        locked=totals[2],
        unconfirmed=totals[3],
        with_mfa=totals[4],
        dormant=totals[5],
        dormant_before=dormant_before,
        roles=[RoleCoverage(r.id, r.name, *members.get(r.id, [0, 0])) for r in roles],
        computed_at=now,
    )


def user_count() -> int:
    """The span of user ids, as compute_user_figures reports progress over it."""
    User = models().User
    bounds = db.session.execute(select(func.min(User.id), func.max(User.id))).one()
    return 0 if bounds[0] is None else int(bounds[1]) - int(bounds[0]) + 1


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


def count_live_sessions(now: datetime, batch: int = BATCH) -> int | None:
    """Live sessions from the session registry (in id ranges), or None where it is absent."""
    try:
        from ..sessions import store
        from ..sessions.models import SessionRecord
    except ImportError:
        return None
    if not hasattr(store, "live_clause"):
        return None
    clause = store.live_clause(now, setting("CONSOLE_SESSION_IDLE_TIMEOUT"))
    total = 0
    for low, high in _ranges(SessionRecord.id, batch):
        total += int(
            db.session.scalar(
                select(func.count()).where(clause, SessionRecord.id >= low, SessionRecord.id < high)
            )
            or 0
        )
        db.session.commit()
    return total


def recent_events(limit: int = 10) -> list[Any]:
    """The newest audit events."""
    return recent(limit)
