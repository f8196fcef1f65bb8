"""The dashboard snapshot: computed outside requests, read with one primary-key lookup."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import Response, current_app
from flask_security import naive_utcnow
from sqlalchemy import and_, exc, insert, or_, select, true, update

from ..core import jobs
from ..extensions import db
from ..settings import setting
from . import figures
from .models import SNAPSHOT_ID, DashboardSnapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """The stored figures and when they were computed."""

    users: figures.UserFigures
    live_sessions: int | None
    computed_at: datetime

    def stale(self, now: datetime) -> bool:
        """Older than CONSOLE_DASHBOARD_REFRESH."""
        return self.computed_at <= now - setting("CONSOLE_DASHBOARD_REFRESH")


def _encode(users: figures.UserFigures, live_sessions: int | None) -> str:
    return json.dumps(
        {
            "total": users.total,
            "active": users.active,
            "locked": users.locked,
            "unconfirmed": users.unconfirmed,
            "with_mfa": users.with_mfa,
            "dormant": users.dormant,
            "dormant_before": users.dormant_before.isoformat(),
            "roles": [[r.role_id, r.name, r.members, r.with_mfa] for r in users.roles],
            "live_sessions": live_sessions,
        },
        sort_keys=True,
    )


def _decode(row: DashboardSnapshot) -> Snapshot | None:
    if row.computed_at is None:
        return None
    try:
        data: dict[str, Any] = json.loads(row.figures)
        users = figures.UserFigures(
            total=int(data["total"]),
            active=int(data["active"]),
            locked=int(data["locked"]),
            unconfirmed=int(data["unconfirmed"]),
            with_mfa=int(data["with_mfa"]),
            dormant=int(data["dormant"]),
            dormant_before=date.fromisoformat(data["dormant_before"]),
            roles=[
                figures.RoleCoverage(int(i), str(n), int(m), int(w)) for i, n, m, w in data["roles"]
            ],
            computed_at=row.computed_at,
        )
    except (ValueError, KeyError, TypeError):
        # A snapshot written by another version of the console: treat it as missing.
        return None
    live = data.get("live_sessions")
    return Snapshot(users, None if live is None else int(live), row.computed_at)


def load() -> Snapshot | None:
    """The stored snapshot (one primary-key lookup), or None when none was computed yet."""
    # populate_existing: another worker rewrites the row, so never trust a cached copy.
    row = db.session.scalar(
        select(DashboardSnapshot)
        .where(DashboardSnapshot.id == SNAPSHOT_ID)
        .execution_options(populate_existing=True)
    )
    return _decode(row) if row is not None else None


def compute(
    now: datetime | None = None, progress: Callable[[int], None] | None = None
) -> tuple[figures.UserFigures, int | None]:
    """Every figure the snapshot holds, counted in batches."""
    now = now or naive_utcnow()
    users = figures.compute_user_figures(now, progress=progress)
    return users, figures.count_live_sessions(now)


def _ensure_row() -> None:
    """The snapshot row exists (with no figures yet); a concurrent insert is fine."""
    if db.session.get(DashboardSnapshot, SNAPSHOT_ID) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.execute(insert(DashboardSnapshot).values(id=SNAPSHOT_ID, figures="{}"))
    except exc.IntegrityError:
        pass  # another worker inserted it first
    db.session.commit()


def store(users: figures.UserFigures, live_sessions: int | None, computed_at: datetime) -> None:
    """Write the figures and release the refresh claim."""
    _ensure_row()
    db.session.execute(
        update(DashboardSnapshot)
        .where(DashboardSnapshot.id == SNAPSHOT_ID)
        .values(
            figures=_encode(users, live_sessions),
            computed_at=computed_at,
            refreshing_since=None,
        )
    )
    db.session.commit()


def refresh(progress: Callable[[int], None] | None = None) -> Snapshot:
    """Recompute and store the snapshot now (the CLI and the operators' refresh button)."""
    now = naive_utcnow()
    users, live = compute(now, progress)
    store(users, live, now)
    return Snapshot(users, live, now)


def claim(now: datetime, force: bool = False) -> bool:
    """Take the right to recompute a stale snapshot (any snapshot when `force`); one worker
    at a time wins.

    A conditional UPDATE: it matches only while the snapshot is stale and nobody else is
    refreshing (or a refresh has been running longer than the refresh period, as a worker
    that died would leave it).
    """
    _ensure_row()
    period: timedelta = setting("CONSOLE_DASHBOARD_REFRESH")
    stale = or_(
        DashboardSnapshot.computed_at.is_(None),
        DashboardSnapshot.computed_at <= now - period,
    )
    result = db.session.execute(
        update(DashboardSnapshot)
        .where(
            DashboardSnapshot.id == SNAPSHOT_ID,
            true() if force else stale,
            or_(
                DashboardSnapshot.refreshing_since.is_(None),
                DashboardSnapshot.refreshing_since <= now - period,
            ),
        )
        .values(refreshing_since=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def release(now: datetime) -> None:
    """Give up a claim taken at `now` (after a failed recompute)."""
    db.session.execute(
        update(DashboardSnapshot)
        .where(
            and_(
                DashboardSnapshot.id == SNAPSHOT_ID,
                DashboardSnapshot.refreshing_since == now,
            )
        )
        .values(refreshing_since=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def refresh_if_claimed(force: bool = False) -> bool:
    """Recompute when the snapshot is stale (or `force`) and this worker wins the claim."""
    now = naive_utcnow()
    if not claim(now, force):
        return False
    try:
        users, live = compute(now)
        store(users, live, now)
    except Exception:
        db.session.rollback()
        release(now)
        raise
    return True


def compute_if_missing() -> Snapshot | None:
    """On a cold start, compute the snapshot in this request, or None while another worker is
    already computing it (the page says so rather than waiting) or the computation failed."""
    try:
        if not refresh_if_claimed():
            return None
    except Exception:  # the page still answers, with its empty state
        log.exception("dashboard snapshot computation failed")
        return None
    return load()


def refresh_in_background(force: bool = False) -> None:
    """A worker's refresh: recompute when stale (or `force`) and this worker wins the claim."""
    try:
        refresh_if_claimed(force)
    except Exception:  # logged here; the next period tries again
        log.exception("dashboard snapshot refresh failed")
        db.session.rollback()


def refresh_after(response: Response, force: bool = False) -> None:
    """Have the workers recompute the snapshot, or this process after `response` is sent."""
    if jobs.defer("dashboard.refresh", force=force):
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def recompute() -> None:
        with app.app_context():
            try:
                refresh_if_claimed(force)
            except Exception:  # a failed refresh must never affect the request
                log.exception("dashboard snapshot refresh failed")
                db.session.rollback()
            finally:
                db.session.remove()

    response.call_on_close(recompute)
