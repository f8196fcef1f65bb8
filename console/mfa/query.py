"""The operators' MFA lists: keys and users by factor, keyset-paged, index-served."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_security import naive_utcnow
from sqlalchemy import func, or_, select

from ..core import factors
from ..core.models import models
from ..extensions import db
from ..mixins import ConsoleUserMixin
from .factors import APP_FACTORS

TOTP_STEP_SECONDS = 30
# The list's user filters, as keys of the factor registry.
USER_METHODS = {
    "authenticator": APP_FACTORS,
    "email": ("email",),
    "recovery": ("recovery_codes",),
}


def key_page(
    *, method: str, user_prefix: str, unused_days: int | None, before: int | None, size: int
) -> tuple[list[Any], int | None]:
    """(key, user) pairs, newest key first, keyset-paged on the key's id."""
    User = models().User
    WebAuthn = models().WebAuthn
    stmt = (
        select(WebAuthn, User)
        .join(User, User.id == WebAuthn.user_id)
        .order_by(WebAuthn.id.desc())
        .limit(size + 1)
    )
    if method in ("first", "secondary"):
        stmt = stmt.where(WebAuthn.usage == method)
    if user_prefix:
        stmt = stmt.where(func.lower(User.email).startswith(user_prefix.lower(), autoescape=True))
    if unused_days:
        stmt = stmt.where(WebAuthn.lastuse_datetime < naive_utcnow() - timedelta(days=unused_days))
    if before:
        stmt = stmt.where(WebAuthn.id < before)
    rows = [tuple(row) for row in db.session.execute(stmt)]
    more = rows[size - 1][0].id if len(rows) > size else None
    return rows[:size], more


def user_page(
    *, method: str, user_prefix: str, unused_days: int | None, before: int | None, size: int
) -> tuple[list[ConsoleUserMixin], int | None]:
    """Users holding the chosen method, newest first, keyset-paged on id."""
    User = models().User
    stmt = select(User).order_by(User.id.desc()).limit(size + 1)
    if method in USER_METHODS:
        stmt = stmt.where(factors.condition_of(USER_METHODS[method]))
    if user_prefix:
        stmt = stmt.where(func.lower(User.email).startswith(user_prefix.lower(), autoescape=True))
    if unused_days:
        cutoff = naive_utcnow() - timedelta(days=unused_days)
        if method == "authenticator":
            step = int(cutoff.timestamp()) // TOTP_STEP_SECONDS
            stmt = stmt.where(or_(User.totp_last_counter.is_(None), User.totp_last_counter < step))
        else:
            stmt = stmt.where(or_(User.current_login_at.is_(None), User.current_login_at < cutoff))
    if before:
        stmt = stmt.where(User.id < before)
    rows = list(db.session.scalars(stmt))
    more = rows[size - 1].id if len(rows) > size else None
    return rows[:size], more
