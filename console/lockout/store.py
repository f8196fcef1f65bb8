"""Lockout state in the user table, changed only by atomic UPDATE statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_security import naive_utcnow
from sqlalchemy import or_, select, update

from ..core.models import models
from ..extensions import db
from ..settings import setting
from . import policy


@dataclass(frozen=True)
class Failure:
    """What one recorded failure did: the new count, and the lock it started if any."""

    failed_login_count: int
    locked_until: datetime | None = None
    lockout_count: int = 0


def locked_until(user_id: int) -> datetime | None:
    """The end of the account's running lock, read from the database (never a stale object)."""
    User = models().User
    until = db.session.scalar(select(User.locked_until).where(User.id == user_id))
    return until if policy.is_locked(until, naive_utcnow()) else None


def record_failure(user_id: int) -> Failure:
    """Count one failed credential check; start a lock once the threshold is reached.

    The increment is a single UPDATE so concurrent failures on any worker all count, and the
    lock starts through a compare-and-set so that exactly one of them starts it.
    """
    User = models().User
    count = db.session.execute(
        update(User)
        .where(User.id == user_id)
        .values(failed_login_count=User.failed_login_count + 1)
        .returning(User.failed_login_count)
    ).scalar_one_or_none()
    if count is None or count < int(setting("CONSOLE_LOCKOUT_THRESHOLD")):
        db.session.commit()
        return Failure(count or 0)
    now = naive_utcnow()
    locks, until = db.session.execute(
        select(User.lockout_count, User.locked_until).where(User.id == user_id)
    ).one()
    if policy.is_locked(until, now):
        db.session.commit()
        return Failure(count)
    new_until = now + policy.lock_wait(
        locks, setting("CONSOLE_LOCKOUT_BASE_WAIT"), setting("CONSOLE_LOCKOUT_MAX_WAIT")
    )
    started = db.session.execute(
        update(User)
        .where(
            User.id == user_id,
            User.lockout_count == locks,
            or_(User.locked_until.is_(None), User.locked_until <= now),
        )
        .values(lockout_count=locks + 1, locked_until=new_until)
    ).rowcount
    db.session.commit()
    if started != 1:
        return Failure(count)
    return Failure(count, new_until, locks + 1)


def clear(user_id: int) -> bool:
    """Forget failures and locks; False when there was nothing to forget. Does not commit."""
    User = models().User
    result = db.session.execute(
        update(User)
        .where(
            User.id == user_id,
            or_(
                User.failed_login_count != 0,
                User.lockout_count != 0,
                User.locked_until.is_not(None),
            ),
        )
        .values(failed_login_count=0, lockout_count=0, locked_until=None)
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)
