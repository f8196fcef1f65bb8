"""Account creation shared by the CLI, the demo data and the tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from flask_security import hash_password, naive_utcnow
from sqlalchemy import select

from .core.emails import EmailInUseError, canonical_email
from .core.permissions import ADMIN_ROLE, all_permissions
from .extensions import db
from .models import Role, User


def find_user_by_email(email: str) -> User | None:
    """The account `email` or a look-alike of it belongs to, by the canonical index."""
    return db.session.scalar(select(User).where(User.email_canonical == canonical_email(email)))


def ensure_role(name: str, permissions: Iterable[str], description: str = "") -> Role:
    """The role `name`, created if missing, holding exactly `permissions`."""
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
    roles: Iterable[Role] = (),
    confirmed: bool = True,
    active: bool = True,
    **fields: object,
) -> User:
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


def create_operator(email: str, password: str) -> tuple[User, bool]:
    """Create or promote `email` as a full administrator; returns (user, created)."""
    if len(password) < 8:
        raise ValueError("The password must be at least 8 characters long.")
    role = ensure_role(ADMIN_ROLE, all_permissions(), "Full administration of the console")
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
