"""What an identity provider may change, through the operators' own flows: the permission,
who may act on whom, the last-administrator guard, look-alike addresses and the audit trail
are theirs. This module adds only what SCIM keeps beside an account (console.scim.models)
and the order in which a provider's request becomes flow calls.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_security import naive_utcnow
from sqlalchemy import select

from ..core import policy
from ..core.models import models
from ..core.permissions import is_declared
from ..core.signals import emit
from ..core.transactions import atomic
from ..extensions import db
from ..roles import flows as role_flows
from ..roles import guardrails
from ..settings import setting
from ..users import flows as user_flows
from .models import ScimGroupLink, ScimUserLink
from .resources import UserValues

# The columns of the link and the names the audit trail gives them.
LINK_FIELDS = ("external_id", "given_name", "family_name")


def link_of(user_id: int) -> ScimUserLink | None:
    """The SCIM link of account `user_id`, if it has one."""
    return db.session.get(ScimUserLink, user_id)


def _write_link(actor: Any, user: Any, wanted: dict[str, str | None]) -> bool:
    """Store the link's values; an audited change that bumps the account's version (its
    SCIM representation changed). Commits; False when nothing changed."""
    link = link_of(user.id)
    current = {name: getattr(link, name) if link is not None else None for name in LINK_FIELDS}
    changes = {name: [current[name], wanted[name]] for name in LINK_FIELDS}
    changes = {name: pair for name, pair in changes.items() if pair[0] != pair[1]}
    if not changes:
        return False
    if link is None:
        link = ScimUserLink(user_id=user.id)
        db.session.add(link)
    for name, (_before, after) in changes.items():
        setattr(link, name, after)
    user.edit_version += 1
    emit("scim.user.updated", actor=actor, subject=user, changes=changes)
    db.session.commit()
    return True


@atomic
def provision_user(actor: Any, values: UserValues) -> Any:
    """A new account for a provider: created (and invited, unless created deactivated or
    CONSOLE_SCIM_INVITE is off) by the operators' create flow, then linked."""
    profile = dict(values.profile)
    active = bool(profile.get("active", True))
    extra = {key: value or None for key, value in profile.items() if key not in ("email", "name")}
    extra["active"] = active
    user = user_flows.create_user(
        actor,
        email=profile["email"],
        name=profile.get("name") or None,
        profile=extra,
        invite=active and bool(setting("CONSOLE_SCIM_INVITE")),
    )
    _write_link(actor, user, values.link)
    return user


@atomic
def update_user(actor: Any, user: Any, *, version: int, values: UserValues) -> bool:
    """Apply a provider's replacement or patch of `user` made on `version`; True when it
    changed anything."""
    policy.require(actor, "users:write", target=user)
    changes = user_flows.update_user(actor, user, version=version, values=values.profile)
    linked = _write_link(actor, user, values.link)
    return bool(changes) or linked


@atomic
def deprovision_user(actor: Any, user: Any) -> None:
    """A provider's DELETE: deactivate and hide the account (CONSOLE_SCIM_DELETE
    "deactivate", the default), or delete it for good ("delete")."""
    if setting("CONSOLE_SCIM_DELETE") == "delete":
        user_flows.delete(actor, user, hard=True)
        db.session.commit()
        return
    user_flows.deactivate(actor, user)
    link = link_of(user.id)
    if link is None:
        link = ScimUserLink(user_id=user.id)
        db.session.add(link)
    link.deleted_at = naive_utcnow()
    emit("scim.user.deprovisioned", actor=actor, subject=user, email=user.email)
    db.session.commit()


# --- groups --------------------------------------------------------------------------------


def _users(ids: Iterable[int]) -> list[Any]:
    User = models().User
    wanted = sorted(set(ids))
    if not wanted:
        return []
    found = list(db.session.scalars(select(User).where(User.id.in_(wanted))))
    return sorted(found, key=lambda user: user.id)


def _check_members(actor: Any, role: Any, adding: list[Any], removing: list[Any]) -> None:
    """Refuse the whole change before any of it is written: each membership is checked as
    the operators' add and remove flows check it."""
    for user in [*adding, *removing]:
        policy.require(actor, "roles:write", target=user)
    if adding or removing:
        guardrails.assert_can_grant(actor, [role])
    for user in removing:
        guardrails.assert_member_keeps_an_admin(role, user)


def change_members(actor: Any, role: Any, add: Iterable[int], remove: Iterable[int]) -> None:
    """Add and remove members of `role` (ids of accounts SCIM sees); adding a member or
    removing a non-member changes nothing, as providers resend what they believe."""
    wanted_add, wanted_remove = list(add), list(remove)
    current = _members_among(role, [*wanted_add, *wanted_remove])
    adding = [user for user in _users(wanted_add) if user.id not in current]
    removing = [user for user in _users(wanted_remove) if user.id in current]
    _check_members(actor, role, adding, removing)
    for user in adding:
        role_flows.add_member(actor, role, user)
    for user in removing:
        role_flows.remove_member(actor, role, user)


def _members_among(role: Any, user_ids: list[int]) -> set[int]:
    """Which of `user_ids` hold `role` (one indexed query, however many members it has)."""
    from ..core.schema import membership_columns

    if not user_ids:
        return set()
    m = models()
    user_column, role_column = membership_columns(m.roles_users, m.User.__table__, role.__table__)
    stmt = select(user_column).where(role_column == role.id, user_column.in_(sorted(set(user_ids))))
    return set(db.session.scalars(stmt))


def role_members(role: Any) -> list[Any]:
    """Every account holding `role` (a provider replacing all members needs them)."""
    User = models().User
    roles_users = models().roles_users
    from ..core.schema import membership_columns

    user_column, role_column = membership_columns(roles_users, User.__table__, role.__table__)
    stmt = select(User).join(roles_users, user_column == User.id).where(role_column == role.id)
    return list(db.session.scalars(stmt))


def group_external_id(role_id: int) -> str | None:
    """The provider's id for role `role_id`, if it gave one."""
    link = db.session.get(ScimGroupLink, role_id)
    return link.external_id if link is not None else None


@atomic
def set_group_external_id(actor: Any, role: Any, value: str | None) -> bool:
    """Store the provider's id for `role` (roles:write, on a role the provider could grant);
    an audited change. False when it was already so."""
    policy.require(actor, "roles:write")
    link = db.session.get(ScimGroupLink, role.id)
    before = link.external_id if link is not None else None
    if before == value:
        return False
    guardrails.assert_can_change(actor, role)
    if link is None:
        link = ScimGroupLink(role_id=role.id)
        db.session.add(link)
    link.external_id = value
    emit(
        "scim.group.updated",
        actor=actor,
        subject=None,
        role=role.name,
        changes={"external_id": [before, value]},
    )
    db.session.commit()
    return True


def create_group(
    actor: Any, name: str, members: Iterable[int], external_id: str | None = None
) -> Any:
    """A new role without permissions (a provider's group), then its members."""
    wanted = list(members)
    adding = _users(wanted)
    # Checked before the role exists, so that a refused member leaves no role behind.
    for user in adding:
        policy.require(actor, "roles:write", target=user)
    role = role_flows.create_role(
        actor, name=name, description="", permissions=[], require_mfa=False
    )
    set_group_external_id(actor, role, external_id)
    change_members(actor, role, [user.id for user in adding], [])
    return role


def rename_group(actor: Any, role: Any, name: str, expected: set[str] | None = None) -> None:
    """Rename `role`, keeping everything else it carries."""
    if name == role.name:
        return
    role_flows.update_role(
        actor,
        role,
        name=name,
        description=role.description or "",
        permissions=[p for p in role.get_permissions() if is_declared(p)],
        require_mfa=bool(role.require_mfa),
        expected=expected,
    )


def delete_group(actor: Any, role: Any) -> None:
    """A provider's DELETE of a group: its members leave it (each checked), then it goes."""
    members = role_members(role)
    _check_members(actor, role, [], members)
    guardrails.assert_can_change(actor, role)
    for user in members:
        role_flows.remove_member(actor, role, user)
    role_flows.delete_role(actor, role)
