"""An operator manages the adopted accounts in the console, and the application's own
routes follow each change at once."""

from __future__ import annotations

from datetime import timedelta
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
            "first_name": "Gustav",
            "last_name": "Guestly",
            "active": "y",
            "roles": [str(user_role.id)],
            "version": str(guest.version),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    edited = _account(adopted, "guest@me.com")
    assert edited.name == "Gus the Guest" and edited.roles == [user_role.id]
    # first_name and last_name are the application's columns, declared to the console.
    assert (edited.first_name, edited.last_name) == ("Gustav", "Guestly")
    assert _role(adopted, "user").member_count == user_role.member_count + 1
    # The application's permission check follows the new role on the next request.
    assert guest_client.get("/user-area").get_data(as_text=True) == "Reading as Gustav"
    detail = ops.get(f"{USERS}{guest.id}/").get_data(as_text=True)
    assert "Gus the Guest" in detail and "guest@me.com" in detail
    assert 'data-testid="host-field-last_name">Guestly<' in detail
    form = ops.get(f"{USERS}{guest.id}/edit/").get_data(as_text=True)
    assert 'name="first_name"' in form and 'value="Gustav"' in form


def test_a_host_field_longer_than_its_column_is_refused_and_nothing_changes(
    adopted: Flask, operator: str
):
    ops = adopted.test_client()
    assert sign_in(ops, operator, OPERATOR_PASSWORD, PREFIX).status_code == 302
    guest = _account(adopted, "guest@me.com")
    response = ops.post(
        f"{USERS}{guest.id}/edit/",
        data={
            "email": "guest@me.com",
            "name": "Renamed",
            "first_name": "G" * 81,
            "last_name": "Guest",
            "active": "y",
            "roles": [str(r) for r in guest.roles],
            "version": str(guest.version),
        },
    )
    assert response.status_code == 400
    assert "80" in response.get_data(as_text=True)
    after = _account(adopted, "guest@me.com")
    assert (after.name, after.first_name, after.version) == (guest.name, "Gus", guest.version)


def test_the_api_reads_and_edits_the_host_fields(adopted: Flask, operator: str):
    from flask_security import naive_utcnow

    from console.api import tokens
    from console.core.policy import permissions_of
    from examples.fsqla_quickstart.app import User, db

    guest = _account(adopted, "guest@me.com")
    with adopted.app_context():
        actor = db.session.scalar(sa.select(User).where(User.email == operator))
        secret = tokens.create_token(
            actor,
            name="hr sync",
            scopes=sorted(permissions_of(actor)),
            expires_at=naive_utcnow() + timedelta(days=1),
        ).secret
    api = adopted.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    url = f"{PREFIX}/api/v1/users/{guest.id}"
    read = api.get(url, headers=auth)
    assert read.get_json()["host_fields"] == {"first_name": "Gus", "last_name": "Guest"}

    changed = api.patch(
        url,
        json={"host_fields": {"last_name": " Gray "}},
        headers={**auth, "If-Match": read.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.get_json()["host_fields"] == {"first_name": "Gus", "last_name": "Gray"}

    for wrong in ({"first_name": "x" * 81}, {"password": "taken over"}):
        refused = api.patch(
            url, json={"host_fields": wrong}, headers={**auth, "If-Match": changed.headers["ETag"]}
        )
        assert refused.status_code == 422, refused.get_data(as_text=True)
        assert refused.mimetype == "application/problem+json"
    after = _account(adopted, "guest@me.com")
    assert (after.first_name, after.last_name) == ("Gus", "Gray")


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
