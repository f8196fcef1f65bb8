"""Read-side queries for roles: member counters and member pages on the role_id index."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from ..core.permissions import PERMISSIONS
from ..extensions import db
from ..models import Role, User, roles_users


@dataclass(frozen=True)
class Member:
    """One row of a role's member list (no secret column is ever selected)."""

    id: int
    email: str
    name: str | None
    active: bool


def member_counts(role_ids: Iterable[int]) -> dict[int, int]:
    """Members per role for a page of roles, from the counters the database keeps."""
    ids = list(role_ids)
    if not ids:
        return {}
    stmt = select(Role.id, Role.member_count).where(Role.id.in_(ids))
    counts = {role_id: int(count) for role_id, count in db.session.execute(stmt)}
    return {role_id: counts.get(role_id, 0) for role_id in ids}


def members_page(role: Role, after: int | None, size: int) -> tuple[list[Member], int | None]:
    """A page of `role`'s members ordered by user id after `after` (keyset), and the next key."""
    stmt = (
        select(User.id, User.email, User.name, User.active)
        .join(roles_users, roles_users.c.user_id == User.id)
        .where(roles_users.c.role_id == role.id)
        .order_by(roles_users.c.user_id)
        .limit(size + 1)
    )
    if after is not None:
        stmt = stmt.where(roles_users.c.user_id > after)
    rows = [Member(*row) for row in db.session.execute(stmt)]
    next_after = rows[size - 1].id if len(rows) > size else None
    return rows[:size], next_after


def other_roles(role: Role) -> list[Role]:
    """Every role but `role`, by name: the choices for reassigning its members."""
    return list(db.session.scalars(select(Role).where(Role.id != role.id).order_by(Role.name)))


def ordered_permissions(permissions: Iterable[str] | None) -> list[str]:
    """`permissions` in the order PERMISSIONS defines, unknown names last."""
    held = set(permissions or ())
    known = [name for name in PERMISSIONS if name in held]
    return known + sorted(held - set(known))
