"""Impersonation fixtures: an operator who may impersonate, accounts to impersonate, and a
browser signed in as one of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import MEMBER_PASSWORD, login

REASON = "Ticket 4711: the member cannot find the sessions page"
OPERATOR_PASSWORD = "operator password 1"
# Helpdesk staff who may read, change and impersonate accounts, and nothing else.
SUPPORT_PERMISSIONS = ["users:read", "users:write", "users:impersonate"]
SUPPORT_PASSWORD = "support password 1"


def start(client: FlaskClient, user: Any, reason: str = REASON, **headers: str) -> Any:
    """Post the confirmation form of impersonating `user`; returns the response."""
    return client.post(
        f"/admin/users/{user.id}/impersonate/", data={"reason": reason}, headers=headers
    )


def stash(client: FlaskClient) -> dict[str, Any] | None:
    """What the browser keeps to come back to the operator (None: not impersonating)."""
    from console.impersonation.flows import KEY

    with client.session_transaction() as session:
        return session.get(KEY)


def signed_in_email(client: FlaskClient) -> str | None:
    """Who the console says is signed in on this browser (None: nobody)."""
    response = client.get("/api/v1/me")
    return response.get_json()["email"] if response.status_code == 200 else None


def audit_rows(action: str | None = None) -> list[Any]:
    """The stored audit events, oldest first (only `action`'s when given)."""
    from console.audit.models import AuditEvent
    from console.extensions import db

    db.session.expire_all()
    stmt = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


def details(row: Any) -> dict[str, Any]:
    import json

    return json.loads(row.details)


def records_of(user: Any) -> list[Any]:
    """Every session record of `user`, oldest first, fresh from the database."""
    from console.extensions import db
    from console.sessions.models import SessionRecord

    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(SessionRecord)
            .where(SessionRecord.user_id == user.id)
            .order_by(SessionRecord.id)
        )
    )


@pytest.fixture
def support(make_user: Callable[..., Any]) -> Any:
    """An operator who may impersonate accounts holding no more than they do."""
    return make_user(
        "support@example.com",
        password=SUPPORT_PASSWORD,
        roles=["Support desk"],
        permissions=SUPPORT_PERMISSIONS,
        name="Sam Support",
    )


@pytest.fixture
def support_client(app: Flask, support: Any) -> FlaskClient:
    client = app.test_client()
    assert login(client, support.email, SUPPORT_PASSWORD).status_code == 302
    return client


@pytest.fixture
def impersonating(signed_in_operator: FlaskClient, member: Any) -> FlaskClient:
    """The operator's browser, signed in as `member`."""
    response = start(signed_in_operator, member)
    assert response.status_code == 302, response.get_data(as_text=True)
    return signed_in_operator


@pytest.fixture
def member_client(app: Flask, member: Any) -> FlaskClient:
    """The member's own browser."""
    client = app.test_client()
    assert login(client, member.email, MEMBER_PASSWORD).status_code == 302
    return client
