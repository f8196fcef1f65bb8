"""Read-side queries for roles: member counters and member pages on the role_id index."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from ..core.models import models
from ..core.permissions import catalogue
from ..extensions import db
from ..mixins import ConsoleRoleMixin


@dataclass(frozen=True)
class Member:
    """One row of a role's member list (no secret column is ever selected)."""

    id: int
    email: str
    name: str | None
    active: bool


def roles_page(after: str | None, size: int) -> tuple[list[ConsoleRoleMixin], str | None]:
    """A page of roles by name after `after` (keyset on the unique name: no COUNT, no
    OFFSET), and the next key."""
    Role = models().Role
    stmt = select(Role).order_by(Role.name).limit(size + 1)
    if after:
        stmt = stmt.where(Role.name > after)
    rows = list(db.session.scalars(stmt))
    next_after = rows[size - 1].name if len(rows) > size else None
    return rows[:size], next_after


def member_counts(role_ids: Iterable[int]) -> dict[int, int]:
    """Members per role for a page of roles, from the counters the database keeps."""
    Role = models().Role
    ids = list(role_ids)
    if not ids:
        return {}
    stmt = select(Role.id, Role.member_count).where(Role.id.in_(ids))
    counts = {role_id: int(count) for role_id, count in db.session.execute(stmt)}
    return {role_id: counts.get(role_id, 0) for role_id in ids}


def members_page(
    role: ConsoleRoleMixin, after: int | None, size: int
) -> tuple[list[Member], int | None]:
    """A page of `role`'s members ordered by user id after `after` (keyset), and the next key."""
    User = models().User
    roles_users = models().roles_users
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


def other_roles(role: ConsoleRoleMixin) -> list[ConsoleRoleMixin]:
    """Every role but `role`, by name: the choices for reassigning its members."""
    Role = models().Role
    return list(db.session.scalars(select(Role).where(Role.id != role.id).order_by(Role.name)))


def ordered_permissions(permissions: Iterable[str] | None) -> list[str]:
    """`permissions` in catalogue order (the console's, the application's), undeclared last."""
    held = set(permissions or ())
    known = [name for name in catalogue() if name in held]
    return known + sorted(held - set(known))
