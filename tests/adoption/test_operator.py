"""An operator manages the adopted accounts in the console, and the application's own
routes follow each change at once."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask import Flask
from werkzeug.test import Client

from .conftest import ACCOUNTS, OPERATOR_PASSWORD, PREFIX, TOTP_EMAIL, Quickstart, sign_in

USERS = f"{PREFIX}/admin/users/"
ROLES = f"{PREFIX}/admin/roles/"
JSON = {"Accept": "application/json"}
REASON = "Phone lost; identity checked by the help desk"


def _account(app: Flask, email: str) -> SimpleNamespace:
    from examples.fsqla_quickstart.app import User, db

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        return SimpleNamespace(
            id=user.id,
            version=user.edit_version,
            roles=[role.id for role in user.roles],
            name=user.name,
            first_name=user.first_name,
            last_name=user.last_name,
            two_factor=user.tf_primary_method,
        )


def _role(app: Flask, name: str) -> SimpleNamespace:
    from examples.fsqla_quickstart.app import Role, db

    with app.app_context():
        role = db.session.scalar(sa.select(Role).where(Role.name == name))
        return SimpleNamespace(
            id=role.id,
            permissions=list(role.permissions),
            member_count=role.member_count,
        )


def _session_keys(app: Flask, user_id: int) -> list[str]:
    from console.sessions.models import SessionRecord
    from examples.fsqla_quickstart.app import db

    with app.app_context():
        return list(
            db.session.scalars(sa.select(SessionRecord.key).where(SessionRecord.user_id == user_id))
        )


def _client(app: Flask, email: str) -> Client:
    client = app.test_client()
    response = sign_in(client, email, ACCOUNTS[email][0], PREFIX)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _status(client: Client, route: str) -> int:
    return client.get(route, headers=JSON).status_code


def test_an_operator_lists_searches_and_edits_the_adopted_accounts(adopted: Flask, operator: str):
    ops = adopted.test_client()
    assert sign_in(ops, operator, OPERATOR_PASSWORD, PREFIX).status_code == 302

    listing = ops.get(USERS).get_data(as_text=True)
    assert all(email in listing for email in ACCOUNTS)
    found = ops.get(USERS, query_string={"q": "user"}).get_data(as_text=True)
    assert "user@me.com" in found and "admin@me.com" not in found

    guest, user_role = _account(adopted, "guest@me.com"), _role(adopted, "user")
    guest_client = _client(adopted, "guest@me.com")
    assert _status(guest_client, "/user-area") == 403
    response = ops.post(
        f"{USERS}{guest.id}/edit/",
        data={
            "email": "guest@me.com",
            "name": "Gus the Guest",
            "active": "y",
            "roles": [str(user_role.id)],
            "version": str(guest.version),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    edited = _account(adopted, "guest@me.com")
    assert edited.name == "Gus the Guest" and edited.roles == [user_role.id]
    # first_name and last_name are the application's columns: the console leaves them alone.
    assert (edited.first_name, edited.last_name) == ("Gus", "Guest")
    assert _role(adopted, "user").member_count == user_role.member_count + 1
    # The application's permission check follows the new role on the next request.
    assert guest_client.get("/user-area").get_data(as_text=True) == "Reading as Gus"
    detail = ops.get(f"{USERS}{guest.id}/").get_data(as_text=True)
    assert "Gus the Guest" in detail and "guest@me.com" in detail


def test_granting_admin_write_in_the_checklist_opens_the_route_that_checks_it(
    adopted: Flask, operator: str
):
    ops = adopted.test_client()
    assert sign_in(ops, operator, OPERATOR_PASSWORD, PREFIX).status_code == 302
    role = _role(adopted, "user")
    form = ops.get(f"{ROLES}edit/?id={role.id}").get_data(as_text=True)
    # The application's permissions are in the checklist, under its group, ticked as stored.
    assert "Quickstart" in form and 'value="admin-write"' in form
    member = _client(adopted, "user@me.com")
    assert _status(member, "/settings") == 403

    granted = ops.post(
        f"{ROLES}edit/?id={role.id}",
        data={"name": "user", "permissions": [*role.permissions, "admin-write"]},
    )
    assert granted.status_code == 302, granted.get_data(as_text=True)
    assert sorted(_role(adopted, "user").permissions) == ["admin-write", "user-read", "user-write"]
    assert member.get("/settings").get_data(as_text=True) == "Settings editor for user@me.com"


def test_an_operator_ends_an_adopted_accounts_sessions(adopted: Flask, operator: str):
    ops = adopted.test_client()
    assert sign_in(ops, operator, OPERATOR_PASSWORD, PREFIX).status_code == 302
    member = _client(adopted, "user@me.com")
    assert _status(member, "/") == 200
    keys = _session_keys(adopted, _account(adopted, "user@me.com").id)
    assert len(keys) == 1
    ended = ops.post(f"{PREFIX}/admin/sessions/end", data={"key": keys, "confirmed": "1"})
    assert ended.status_code == 302, ended.get_data(as_text=True)
    assert _status(member, "/") == 401


def test_an_operator_resets_an_adopted_accounts_mfa(
    quickstart: Quickstart, adopted: Flask, operator: str
):
    ops = adopted.test_client()
    assert sign_in(ops, operator, OPERATOR_PASSWORD, PREFIX).status_code == 302
    target = _account(adopted, TOTP_EMAIL)
    assert target.two_factor == "authenticator"
    page = ops.get(f"{USERS}{target.id}/").get_data(as_text=True)
    assert "/admin/mfa/users/" in page  # the user's page offers the reset
    done = ops.post(f"{PREFIX}/admin/mfa/users/{target.id}/reset", data={"reason": REASON})
    assert done.status_code == 302, done.get_data(as_text=True)
    assert _account(adopted, TOTP_EMAIL).two_factor is None

    client = adopted.test_client()
    response = sign_in(client, TOTP_EMAIL, ACCOUNTS[TOTP_EMAIL][0], PREFIX)
    assert "tf-validate" not in response.headers.get("Location", "")
    assert client.get("/").get_data(as_text=True) == f"Hello {TOTP_EMAIL}"


def test_the_operator_cannot_act_on_an_account_that_outranks_them(adopted: Any):
    from console.accounts import create_operator

    # An operator without the application's permissions (no `flask roles add_permissions`).
    with adopted.app_context():
        create_operator("junior@me.com", OPERATOR_PASSWORD)
    junior = adopted.test_client()
    assert sign_in(junior, "junior@me.com", OPERATOR_PASSWORD, PREFIX).status_code == 302
    admin = _account(adopted, "admin@me.com")
    refused = junior.post(
        f"{USERS}{admin.id}/edit/",
        data={"email": "admin@me.com", "name": "Taken over", "version": str(admin.version)},
        follow_redirects=True,
    )
    assert "holds permissions you do not hold (admin-read" in refused.get_data(as_text=True)
    assert _account(adopted, "admin@me.com").name is None
