"""Account creation shared by the CLI, the demo data and the tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from flask_security import hash_password, naive_utcnow
from sqlalchemy import select

from .account.passwords import refusal as password_refusal
from .core.emails import EmailInUseError, canonical_email
from .core.models import models
from .core.permissions import ADMIN_ROLE, all_permissions
from .extensions import db
from .mixins import ConsoleRoleMixin, ConsoleUserMixin


def find_user_by_email(email: str) -> ConsoleUserMixin | None:
    """The account `email` or a look-alike of it belongs to, by the canonical index."""
    User = models().User
    return db.session.scalar(select(User).where(User.email_canonical == canonical_email(email)))


def ensure_role(name: str, permissions: Iterable[str], description: str = "") -> ConsoleRoleMixin:
    """The role `name`, created if missing, holding exactly `permissions`."""
    Role = models().Role
    role = db.session.scalar(select(Role).where(Role.name == name))
    if role is None:
        role = Role(name=name, description=description)
        db.session.add(role)
    role.permissions = list(permissions)
    if description:
        role.description = description
    return role


def create_account(
    email: str,
    password: str | None,
    *,
    name: str | None = None,
    username: str | None = None,
    roles: Iterable[ConsoleRoleMixin] = (),
    confirmed: bool = True,
    active: bool = True,
    **fields: object,
) -> ConsoleUserMixin:
    """A new account; with no password the user must set one (invitation or reset).

    Raises EmailInUseError when the address, or a look-alike of it, is already in use.
    """
    from flask_security.proxies import _datastore, _security

    normalized = _security._mail_util.validate(email)
    if find_user_by_email(normalized) is not None:
        raise EmailInUseError(normalized)
    now = naive_utcnow()
    user = _datastore.create_user(
        email=normalized,
        password=hash_password(password) if password else None,
        name=name,
        username=username,
        active=active,
        confirmed_at=now if confirmed else None,
        password_changed_at=now if password else None,
        fs_uniquifier=uuid.uuid4().hex,
        roles=list(roles),
        **fields,
    )
    return user


def _admin_role() -> ConsoleRoleMixin:
    """The full administration role with every console permission; the other permissions it
    carries (an application's, granted with `flask roles add_permissions`) are kept."""
    Role = models().Role
    existing = db.session.scalar(select(Role).where(Role.name == ADMIN_ROLE))
    others = sorted(existing.get_permissions() - set(all_permissions())) if existing else []
    return ensure_role(
        ADMIN_ROLE, [*all_permissions(), *others], "Full administration of the console"
    )


def create_operator(email: str, password: str) -> tuple[ConsoleUserMixin, bool]:
    """Create or promote `email` as a full administrator; returns (user, created)."""
    if len(password) < 8:
        raise ValueError("The password must be at least 8 characters long.")
    # The breached-password check every form that sets a password runs.
    breached = password_refusal(password)
    if breached:
        raise ValueError(breached)
    role = _admin_role()
    user = find_user_by_email(email)
    if user is not None and user.email.casefold() != email.strip().casefold():
        # A look-alike of another account's address: promoting that account (and setting
        # its password) is not what was asked for.
        raise EmailInUseError(email)
    created = user is None
    if user is None:
        user = create_account(email, password, roles=[role])
    else:
        user.password = hash_password(password)
        user.password_changed_at = naive_utcnow()
        user.active = True
        if role not in user.roles:
            user.roles.append(role)
    db.session.commit()
    return user, created
