"""Adoption reads every name from the configured models: fsqla v4 under names of its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask_security import Security, SQLAlchemyUserDatastore, hash_password

from console import SecurityConsole

from . import dumps, v4_before
from .conftest import PREFIX, run, sign_in

PASSWORD = "v4 password 1"


@pytest.fixture
def v4_config(host_config: dict[str, Any]) -> dict[str, Any]:
    return {**host_config, "SECRET_KEY": "v4 secret " + "x" * 32, "SECURITY_PASSWORD_SALT": "v4"}


@pytest.fixture
def v4_database(v4_config: dict[str, Any]) -> Iterator[str]:
    """The v4 application's database, made and filled before the console."""
    app = Flask("v4_before")
    app.config.update(v4_config)
    v4_before.db.init_app(app)
    datastore = SQLAlchemyUserDatastore(
        v4_before.db, v4_before.User, v4_before.Role, v4_before.WebAuthn
    )
    Security(app, datastore)
    with app.app_context():
        v4_before.db.create_all()
        datastore.create_role(name="staff", permissions=["reports-read"])
        for email in ("one@v4.example", "two@v4.example"):
            datastore.create_user(email=email, password=hash_password(PASSWORD), roles=["staff"])
        v4_before.db.session.commit()
        v4_before.db.engine.dispose()
    yield v4_config["SQLALCHEMY_DATABASE_URI"]


@pytest.fixture
def v4_console(v4_database: str, v4_config: dict[str, Any]) -> Iterator[Flask]:
    host = v4_before.WITH_CONSOLE
    app = Flask("v4_with_console")
    app.config.update(v4_config)
    host.db.init_app(app)
    SecurityConsole(app, url_prefix=PREFIX, db=host.db, **host.MODELS)
    yield app
    with app.app_context():
        host.db.session.remove()
        host.db.engine.dispose()


def test_a_v4_schema_under_its_own_names_is_adopted_and_given_back(
    v4_database: str, v4_console: Flask
):
    url = v4_database
    schema, rows = dumps.schema(url), dumps.rows(url)
    # Signing in writes Flask-Security's own tracking columns (the console turns tracking
    # on), and with them the row's update_datetime.
    tracked = {"last_login_at", "current_login_at", "last_login_ip", "current_login_ip"}
    tracked |= {"login_count", "update_datetime"}
    untracked = {"account": [c for c in dumps.table_columns(url)["account"] if c not in tracked]}
    accounts = dumps.rows(url, untracked)
    adopted = run(v4_console, "console", "adopt")
    assert adopted.exit_code == 0, adopted.output
    for expected in (
        "added column account.email_canonical",
        "added column account_group.member_count",
        "added column account_passkey.aaguid",
        "added index ix_account_email_lower on account",
        "added trigger tr_roles_users_count_insert on roles_users",
    ):
        assert expected in adopted.output
    assert "2 canonical addresses set, 1 role member counts set" in adopted.output

    client = v4_console.test_client()
    assert sign_in(client, "two@v4.example", PASSWORD, PREFIX).status_code == 302
    assert run(v4_console, "console", "adopt").output.endswith(
        "Nothing to do: the schema already has everything the console needs.\n"
    )

    undone = run(v4_console, "console", "adopt", "--undo", "--yes")
    assert undone.exit_code == 0, undone.output
    assert dumps.schema(url) == schema
    after = dumps.rows(url)
    assert {k: v for k, v in after.items() if k != "account"} == {
        k: v for k, v in rows.items() if k != "account"
    }
    assert dumps.rows(url, untracked) == accounts
