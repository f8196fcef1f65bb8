"""Rules no operator action may break: no privilege escalation, never lose the last admin."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core.models import models
from ..core.permissions import all_permissions
from ..core.policy import PolicyError, permissions_of
from ..extensions import db
from ..mixins import ConsoleRoleMixin

MESSAGES = {
    "grant_unheld": _l("You cannot grant the role %(role)s: it has permissions you do not hold."),
    "last_admin": _l(
        "%(user)s is the last active holder of full administration; "
        "give another account full administration first."
    ),
    "self": _l("You cannot deactivate or delete your own account."),
    "permission_unheld": _l(
        "You cannot give a role the permission %(permission)s: you do not hold it yourself."
    ),
    "change_unheld": _l("You cannot change the role %(role)s: it has permissions you do not hold."),
    "last_admin_role": _l(
        "The role %(role)s gives the last active accounts their full administration; "
        "give another account full administration first."
    ),
}


class GuardrailError(PolicyError):
    """An operator action that would break a guardrail; the message says which."""

    messages = MESSAGES


def is_full_role(role: ConsoleRoleMixin) -> bool:
    """A role that carries every permission the console defines."""
    return set(all_permissions()) <= set(role.get_permissions())


def holds_full_administration(user: Any) -> bool:
    """True when one of `user`'s roles carries every permission ("full administration")."""
    return any(is_full_role(role) for role in user.roles)


def assert_can_grant(actor: Any, roles: Iterable[ConsoleRoleMixin]) -> None:
    """An operator may only grant roles whose permissions they hold themselves."""
    held = permissions_of(actor)
    for role in roles:
        if not set(role.get_permissions()) <= held:
            raise GuardrailError("grant_unheld", role=role.name)


def assert_not_self(actor: Any, subject: Any) -> None:
    """Operators cannot deactivate or delete themselves."""
    if actor is not None and subject is not None and actor.id == subject.id:
        raise GuardrailError("self")


def assert_can_hold(actor: Any, permissions: Iterable[str]) -> None:
    """An operator may only put on a role the permissions they hold themselves."""
    held = permissions_of(actor)
    for permission in permissions:
        if permission not in held:
            raise GuardrailError("permission_unheld", permission=permission)


def assert_can_change(actor: Any, role: ConsoleRoleMixin) -> None:
    """Changing, emptying or deleting a role is for operators who could grant it."""
    if not set(role.get_permissions()) <= permissions_of(actor):
        raise GuardrailError("change_unheld", role=role.name)


def _full_roles() -> list[ConsoleRoleMixin]:
    Role = models().Role
    return [role for role in db.session.scalars(select(Role)) if is_full_role(role)]


def active_full_admin_ids(limit: int = 2) -> set[int]:
    """Up to `limit` active users holding a role with every permission (indexed lookups)."""
    User = models().User
    roles_users = models().roles_users
    role_ids = [role.id for role in _full_roles()]
    if not role_ids:
        return set()
    stmt = (
        select(User.id)
        .join(roles_users, roles_users.c.user_id == User.id)
        .where(roles_users.c.role_id.in_(role_ids), User.active.is_(True))
        .group_by(User.id)
        .limit(limit)
    )
    return set(db.session.scalars(stmt))


def assert_keeps_an_admin(subject: Any, *, losing: bool) -> None:
    """Refuse when `subject` is the last active full admin and the action removes that."""
    if not losing or not holds_full_administration(subject):
        return
    others = active_full_admin_ids(limit=2) - {subject.id}
    if not others:
        raise GuardrailError("last_admin", user=subject.email)


def count_members(role: ConsoleRoleMixin) -> int:
    """Members of `role`, from the counter the database keeps (read afresh, not cached)."""
    Role = models().Role
    stmt = select(Role.member_count).where(Role.id == role.id)
    return int(db.session.scalar(stmt) or 0)


def _has_active_member(role_ids: list[int]) -> bool:
    User = models().User
    roles_users = models().roles_users
    stmt = (
        select(roles_users.c.user_id)
        .join(User, User.id == roles_users.c.user_id)
        .where(roles_users.c.role_id.in_(role_ids), User.active.is_(True))
        .limit(1)
    )
    return bool(role_ids) and db.session.scalar(stmt) is not None


def assert_role_keeps_an_admin(role: ConsoleRoleMixin, *, stays_full: bool) -> None:
    """Refuse to strip full administration from `role` when only its members hold it."""
    if stays_full or role.id is None or not is_full_role(role):
        return
    others = [other.id for other in _full_roles() if other.id != role.id]
    if _has_active_member([role.id]) and not _has_active_member(others):
        raise GuardrailError("last_admin_role", role=role.name)


def assert_member_keeps_an_admin(role: ConsoleRoleMixin, user: Any) -> None:
    """Refuse to take `role` from `user` when that ends the last full administration."""
    losing = (
        bool(user.active)
        and is_full_role(role)
        and not any(is_full_role(other) for other in user.roles if other.id != role.id)
    )
    assert_keeps_an_admin(user, losing=losing)
