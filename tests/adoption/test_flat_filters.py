"""The adoption fills the values the user list's flat role and MFA filters read (the
has-second-factor flag, the memberships' copy of each member's creation date), keeps them
while the application without the console still writes, and takes them away on --undo."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Flask

from . import dumps
from .conftest import OPERATOR_PASSWORD, PREFIX, TOTP_EMAIL, Quickstart, run, sign_in

USERS = f"{PREFIX}/admin/users/"


def _state(url: str) -> tuple[dict[str, bool], int]:
    """Each account's flag by email, and how many memberships have a missing or stale copy."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        flags = dict(
            connection.execute(sa.text('SELECT email, has_second_factor FROM "user"')).all()
        )
        stale = connection.execute(
            sa.text(
                'SELECT count(*) FROM roles_users JOIN "user" ON "user".id = roles_users.user_id '
                "WHERE roles_users.user_create_datetime IS NULL "
                'OR roles_users.user_create_datetime <> "user".create_datetime'
            )
        ).scalar()
    engine.dispose()
    return {email: bool(flag) for email, flag in flags.items()}, stale


def test_the_adoption_fills_them_and_undo_takes_them_away(console_app: Flask, database: str):
    schema, rows = dumps.schema(database), dumps.rows(database)
    dry = run(console_app, "console", "adopt", "--dry-run")
    assert "would add column roles_users.user_create_datetime" in dry.output
    assert "would add trigger tr_roles_users_created_fill on roles_users" in dry.output
    assert "would add trigger tr_roles_users_created_carry on user" in dry.output

    result = run(console_app, "console", "adopt", "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert "Checking user.has_second_factor" in result.output
    assert "Copying creation dates to roles_users" in result.output
    # The quickstart's authenticator user; four accounts hold a role each.
    assert "1 second-factor flags set, 4 membership dates set" in result.output
    flags, stale = _state(database)
    assert {email for email, flag in flags.items() if flag} == {TOTP_EMAIL}
    assert stale == 0
    assert "ix_roles_users_role_id_user_create_datetime" in _indexes(database, "roles_users")
    assert "ix_user_has_second_factor_created" in _indexes(database, "user")

    undone = run(console_app, "console", "adopt", "--undo", "--yes")
    assert undone.exit_code == 0, undone.output
    assert "removed trigger tr_roles_users_created_carry on user" in undone.output
    assert dumps.schema(database) == schema
    assert dumps.rows(database) == rows


def test_the_application_without_the_console_writes_on_and_a_second_run_mends(
    quickstart: Quickstart, adopted: Flask, database: str
):
    from examples.fsqla_quickstart import before

    # The old code, still serving during the change-over: its memberships are filled by
    # the triggers, its authenticator set-up is seen by the next adoption run.
    app = quickstart.app
    with app.app_context():
        datastore = app.security.datastore
        guest = datastore.find_user(email="guest@me.com")
        datastore.add_role_to_user(guest, "admin")
        before.db.session.commit()
    before.set_up_authenticator(app, "user@me.com")
    flags, stale = _state(database)
    assert stale == 0
    assert flags["user@me.com"] is False

    again = run(adopted, "console", "adopt")
    assert again.exit_code == 0, again.output
    assert "1 second-factor flags set, 0 membership dates set" in again.output
    flags, _ = _state(database)
    assert {email for email, flag in flags.items() if flag} == {TOTP_EMAIL, "user@me.com"}
    assert "Nothing to do" in run(adopted, "console", "adopt").output


def test_the_console_s_filters_list_the_adopted_accounts(adopted: Flask, operator: str):
    from examples.fsqla_quickstart.app import Role, db

    with adopted.app_context():
        user_role = db.session.scalar(sa.select(Role).where(Role.name == "user"))
        role_id = user_role.id
    ops = adopted.test_client()
    assert sign_in(ops, operator, OPERATOR_PASSWORD, PREFIX).status_code == 302

    def listed(**args: Any) -> set[str]:
        response = ops.get(USERS, query_string=args)
        assert response.status_code == 200
        return set(re.findall(r'/admin/users/\d+/">([^<]+)</a>', response.get_data(as_text=True)))

    assert listed(mfa="yes") == {TOTP_EMAIL}
    assert listed(role=role_id) == {"user@me.com", TOTP_EMAIL, "passkey@me.com"}
    assert listed(role=role_id, mfa="no") == {"user@me.com", "passkey@me.com"}


def _indexes(url: str, table: str) -> set[str]:
    from console.adoption import database as catalogue

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        names = catalogue.index_names(connection, table)
    engine.dispose()
    return names
