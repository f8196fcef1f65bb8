"""The lockout state of an account as stored, for tests of locks and refusals."""

from __future__ import annotations

from typing import Any


def lock_state(user_id: int) -> tuple[int, int, Any]:
    """(failed_login_count, lockout_count, locked_until) as stored."""
    import sqlalchemy as sa

    from console.extensions import db
    from console.models import User

    db.session.expire_all()
    return db.session.execute(
        sa.select(User.failed_login_count, User.lockout_count, User.locked_until).where(
            User.id == user_id
        )
    ).one()
