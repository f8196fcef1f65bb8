"""Role changes: create, update, delete (with reassignment), membership; guarded and signalled."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Container
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from ..core import policy
from ..core.models import models
from ..core.permissions import all_permissions, is_declared, undeclared
from ..core.signals import emit
from ..core.transactions import atomic
from ..extensions import db
from ..mixins import ConsoleRoleMixin, ConsoleUserMixin
from . import guardrails
from .queries import ordered_permissions

MESSAGES = {
    "name_taken": _l("A role named %(role)s already exists."),
    "in_use": _l(
        "The role %(role)s still has %(count)s members: choose a role to move them to first."
    ),
    "same_role": _l("Members cannot be moved to the role that is being deleted."),
    "already_member": _l("%(user)s already has the role %(role)s."),
    "not_member": _l("%(user)s does not have the role %(role)s."),
    "undeclared": _l(
        "The permission %(permission)s is not declared by this application: "
        "the console cannot grant it."
    ),
    "stale": _l(
        "The role %(role)s was changed by someone else while you were editing. "
        "Nothing was saved: review the current values and make your change again."
    ),
}


class RoleError(Exception):
    """A role change that cannot be made as asked; the message says why."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(str(MESSAGES[code] % params))


# Errors a view shows to the operator as they are; nothing was written when one is raised.
REFUSALS = (policy.PolicyError, RoleError)


def _grantable(asked: list[str], stored: list[str]) -> list[str]:
    """`asked` plus every undeclared permission `stored` on the role, in catalogue order.

    A permission nobody declared was granted outside the console (`flask roles
    add_permissions`, the host's own code): an edit keeps it rather than drop what it
    cannot show as a checkbox, and never adds one (a typo would otherwise be granted).
    """
    for name in asked:
        if not is_declared(name) and name not in stored:
            raise RoleError("undeclared", permission=name)
    return ordered_permissions([*asked, *undeclared(stored)])


def _snapshot(role: ConsoleRoleMixin) -> dict[str, Any]:
    return {
        "name": role.name,
        "description": role.description or "",
        "permissions": ordered_permissions(role.permissions),
        "require_mfa": bool(role.require_mfa),
    }


def content_tag(role: ConsoleRoleMixin) -> str:
    """A digest of what an edit changes (name, description, permissions, MFA rule).

    Roles carry no version column, so an edit proves it was made on the current role with
    this digest instead; members come and go without making an edit of the role stale.
    """
    content = {
        "name": role.name,
        "description": role.description or "",
        "permissions": sorted(role.get_permissions()),
        "require_mfa": bool(role.require_mfa),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]


def _assert_current(role: ConsoleRoleMixin, expected: Container[str]) -> None:
    """Refuse an edit made on another version of `role` than the stored one.

    A no-op UPDATE first takes the row's write lock on either database (SQLite ignores
    FOR UPDATE), so the role read next is the newest and no other edit commits in between.
    """
    Role = models().Role
    db.session.execute(
        update(Role)
        .where(Role.id == role.id)
        .values(name=Role.name)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(role)
    if content_tag(role) not in expected:
        raise RoleError("stale", role=role.name)


def _check_name(name: str, role_id: int | None) -> None:
    Role = models().Role
    stmt = select(Role.id).where(Role.name == name)
    if role_id is not None:
        stmt = stmt.where(Role.id != role_id)
    if db.session.scalar(stmt) is not None:
        raise RoleError("name_taken", role=name)


def _commit(name: str) -> None:
    try:
        db.session.commit()
    except IntegrityError as error:
        # Two operators creating the same name at once: the unique index decides.
        db.session.rollback()
        raise RoleError("name_taken", role=name) from error


@atomic
def create_role(
    actor: Any, *, name: str, description: str, permissions: list[str], require_mfa: bool
) -> ConsoleRoleMixin:
    """A new role carrying only declared permissions `actor` holds."""
    Role = models().Role
    policy.require(actor, "roles:write")
    permissions = _grantable(permissions, [])
    guardrails.assert_can_hold(actor, permissions)
    _check_name(name, None)
    role = Role(
        name=name, description=description, permissions=permissions, require_mfa=require_mfa
    )
    db.session.add(role)
    emit(
        "admin.role.created",
        actor=actor,
        subject=None,
        role=role.name,
        changes={key: [None, value] for key, value in _snapshot(role).items()},
    )
    _commit(name)
    return role


@atomic
def update_role(
    actor: Any,
    role: ConsoleRoleMixin,
    *,
    name: str,
    description: str,
    permissions: list[str],
    require_mfa: bool,
    expected: Container[str] | None = None,
) -> dict[str, list[Any]]:
    """Apply an edit; returns the changes ({} when nothing changed, and nothing is signalled).

    `permissions` are the declared ones the role is to carry; undeclared ones stay as stored.
    `expected`, when given, holds the content tags the edit may have been made on (an API
    client's If-Match): any other stored version refuses the edit as stale.
    """
    policy.require(actor, "roles:write")
    if expected is not None:
        _assert_current(role, expected)
    guardrails.assert_can_change(actor, role)
    permissions = _grantable(permissions, list(role.get_permissions()))
    guardrails.assert_can_hold(actor, permissions)
    before = _snapshot(role)
    after = {
        "name": name,
        "description": description,
        "permissions": permissions,
        "require_mfa": bool(require_mfa),
    }
    changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if not changes:
        if expected is not None:
            db.session.rollback()  # release the lock _assert_current took
        return {}
    stays_full = set(all_permissions()) <= set(permissions)
    guardrails.assert_role_keeps_an_admin(role, stays_full=stays_full)
    if "name" in changes:
        _check_name(name, role.id)
    role.name = name
    role.description = description
    role.permissions = permissions
    role.require_mfa = bool(require_mfa)
    emit("admin.role.updated", actor=actor, subject=None, role=role.name, changes=changes)
    _commit(name)
    return changes


@atomic
def delete_role(
    actor: Any, role: ConsoleRoleMixin, *, reassign_to: ConsoleRoleMixin | None = None
) -> int:
    """Delete `role`; its members, if any, first move to `reassign_to`. Returns how many moved."""
    Role = models().Role
    roles_users = models().roles_users
    policy.require(actor, "roles:write")
    guardrails.assert_can_change(actor, role)
    members = guardrails.count_members(role)
    if members and reassign_to is None:
        raise RoleError("in_use", role=role.name, count=members)
    if reassign_to is not None and reassign_to.id == role.id:
        raise RoleError("same_role")
    moved = 0
    if members and reassign_to is not None:
        guardrails.assert_can_grant(actor, [reassign_to])
        guardrails.assert_role_keeps_an_admin(role, stays_full=guardrails.is_full_role(reassign_to))
        moved = _move_members(role, reassign_to)
    else:
        guardrails.assert_role_keeps_an_admin(role, stays_full=False)
    snapshot = _snapshot(role)
    # Also catches a member added since the count, so no association row is left behind.
    db.session.execute(delete(roles_users).where(roles_users.c.role_id == role.id))
    db.session.execute(delete(Role).where(Role.id == role.id))
    db.session.expunge(role)
    details: dict[str, Any] = {
        "changes": {key: [value, None] for key, value in snapshot.items()},
        "members": members,
    }
    if reassign_to is not None and members:
        details["reassigned_to"] = reassign_to.name
        details["moved"] = moved
    emit("admin.role.deleted", actor=actor, subject=None, role=snapshot["name"], **details)
    db.session.commit()
    return moved


def _move_members(role: ConsoleRoleMixin, target: ConsoleRoleMixin) -> int:
    """Set-based: give `target` to every member of `role` lacking it, then empty `role`."""
    roles_users = models().roles_users
    target_rows = roles_users.alias("target_rows")
    already = exists().where(
        target_rows.c.role_id == target.id, target_rows.c.user_id == roles_users.c.user_id
    )
    lacking = (roles_users.c.role_id == role.id, ~already)
    # rowcount of INSERT ... SELECT is not reported by every driver: count first.
    moved = db.session.scalar(select(func.count()).select_from(roles_users).where(*lacking))
    moving = select(roles_users.c.user_id, literal(target.id)).where(*lacking)
    db.session.execute(insert(roles_users).from_select(["user_id", "role_id"], moving))
    return int(moved or 0)


def _role_names(user: ConsoleUserMixin) -> list[str]:
    return sorted(role.name for role in user.roles)


@atomic
def add_member(actor: Any, role: ConsoleRoleMixin, user: ConsoleUserMixin) -> None:
    """Give `role` to `user`; only an operator holding all its permissions may."""
    policy.require(actor, "roles:write", target=user)
    guardrails.assert_can_grant(actor, [role])
    if role in user.roles:
        raise RoleError("already_member", user=user.email, role=role.name)
    before = _role_names(user)
    user.roles.append(role)
    emit(
        "admin.role.member_added",
        actor=actor,
        subject=user,
        role=role.name,
        changes={"roles": [before, _role_names(user)]},
    )
    db.session.commit()


@atomic
def remove_member(actor: Any, role: ConsoleRoleMixin, user: ConsoleUserMixin) -> None:
    """Take `role` from `user`, never from the last active full administrator."""
    policy.require(actor, "roles:write", target=user)
    # Taking a role away is checked like granting it.
    guardrails.assert_can_grant(actor, [role])
    if role not in user.roles:
        raise RoleError("not_member", user=user.email, role=role.name)
    guardrails.assert_member_keeps_an_admin(role, user)
    before = _role_names(user)
    user.roles.remove(role)
    emit(
        "admin.role.member_removed",
        actor=actor,
        subject=user,
        role=role.name,
        changes={"roles": [before, _role_names(user)]},
    )
    db.session.commit()
