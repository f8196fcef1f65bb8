"""Fixtures for the role admin: signed-in clients by permission, and recorded console events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import login

ROLES_URL = "/admin/roles/"


@pytest.fixture
def sign_in_with(app: Flask, make_user: Callable[..., Any]) -> Callable[..., FlaskClient]:
    """A new client signed in as a new account holding exactly `permissions`."""

    def factory(*permissions: str, email: str | None = None) -> FlaskClient:
        slug = "-".join(p.replace(":", "") for p in permissions)
        email = email or f"holder-{slug}@example.com"
        make_user(email, password="holder password 1", permissions=list(permissions))
        client = app.test_client()
        response = login(client, email, "holder password 1")
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return factory


def role_by_name(name: str) -> Any:
    """The role called `name`, read fresh from the database."""
    from sqlalchemy import select

    from console.extensions import db
    from console.models import Role

    db.session.expire_all()
    return db.session.scalar(select(Role).where(Role.name == name))


def member_ids(role: Any) -> set[int]:
    """Ids of `role`'s members, read fresh from the database."""
    from sqlalchemy import select

    from console.extensions import db
    from console.models import roles_users

    db.session.expire_all()
    stmt = select(roles_users.c.user_id).where(roles_users.c.role_id == role.id)
    return set(db.session.scalars(stmt))


def bulk_members(role: Any, count: int, prefix: str = "bulk") -> list[int]:
    """Insert `count` accounts holding `role` with set-based SQL (no password hashing)."""
    import uuid

    from sqlalchemy import insert, select

    from console.extensions import db
    from console.models import User, roles_users

    tag = uuid.uuid4().hex[:6]
    rows = [
        {
            "email": f"{prefix}-{tag}-{i}@example.com",
            "fs_uniquifier": uuid.uuid4().hex,
            "active": True,
        }
        for i in range(count)
    ]
    db.session.execute(insert(User), rows)
    ids = list(
        db.session.scalars(
            select(User.id).where(User.email.like(f"{prefix}-{tag}-%")).order_by(User.id)
        )
    )
    db.session.execute(insert(roles_users), [{"user_id": i, "role_id": role.id} for i in ids])
    db.session.commit()
    return ids


def csrf_token_from(html: str) -> str:
    """The CSRF token a page carries (meta tag or hidden input)."""
    import re

    match = re.search(r'name="csrf[-_]token"[^>]*(?:content|value)="([^"]+)"', html)
    assert match, html
    return match.group(1)
