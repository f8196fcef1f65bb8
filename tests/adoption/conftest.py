"""Flask-Security's quickstart application with accounts made before the console existed.

`quickstart` is the application as it was (examples.fsqla_quickstart.before), seeded through
its own datastore; `adopted` is the same database under the application with the console
(examples.fsqla_quickstart.app) after `flask console adopt`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import Client

from examples.fsqla_quickstart import before
from tests.support import db as dbsupport

ACCOUNTS = before.ACCOUNTS
TOTP_EMAIL = "totp@me.com"
PASSKEY_EMAIL = "passkey@me.com"
OPERATOR_EMAIL = "ops@me.com"
OPERATOR_PASSWORD = "operator password 1"
PREFIX = "/console"


@pytest.fixture(scope="session")
def adoption_postgres(backend: str) -> Iterator[str | None]:
    """A database of these tests' own on PostgreSQL (None on SQLite)."""
    if backend != "postgresql":
        yield None
        return
    url = dbsupport.create_postgres_database()
    yield url
    dbsupport.drop_postgres_database(url)


@pytest.fixture
def database(backend: str, adoption_postgres: str | None, tmp_path: Path) -> str:
    """An empty database for the quickstart application."""
    if adoption_postgres is None:
        return f"sqlite:///{tmp_path / 'quickstart.db'}"
    engine = sa.create_engine(adoption_postgres)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    return adoption_postgres


@pytest.fixture
def host_config(database: str) -> dict[str, Any]:
    """The host's own settings for the tests (the same before and after the console)."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database,
        "WTF_CSRF_ENABLED": False,
        # Cheap argon2: the hashes are still argon2 over the host's salt.
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {
            "argon2__rounds": 1,
            "argon2__memory_cost": 256,
            "argon2__parallelism": 1,
        },
        # The console's own switches, which the application without it ignores.
        "RATELIMIT_ENABLED": False,
        "CONSOLE_LOCKOUT_REFUSAL_INTERVAL": timedelta(0),
        # Mail and jobs run in the process (no worker runs beside these apps).
        "CONSOLE_JOBS_IMMEDIATE": True,
    }


@dataclass
class Quickstart:
    """The application before the console, its database seeded, and the TOTP user's key."""

    app: Flask
    totp_key: str
    recovery_codes: list[str]


@pytest.fixture
def quickstart(host_config: dict[str, Any]) -> Iterator[Quickstart]:
    app = before.create_app(host_config)
    before.seed(app)
    key, codes = before.set_up_authenticator(app, TOTP_EMAIL)
    yield Quickstart(app, key, codes)
    with app.app_context():
        before.db.engine.dispose()


def make_console_app(host_config: dict[str, Any]) -> Flask:
    """The same application with the console added (examples.fsqla_quickstart.app)."""
    from examples.fsqla_quickstart import app as with_console

    return with_console.create_app(host_config)


@pytest.fixture
def console_app(quickstart: Quickstart, host_config: dict[str, Any]) -> Iterator[Flask]:
    """The application with the console, on the quickstart's database (not adopted yet)."""
    from examples.fsqla_quickstart import app as with_console

    app = make_console_app(host_config)
    yield app
    with app.app_context():
        with_console.db.session.remove()
        with_console.db.engine.dispose()


def run(app: Flask, *args: str, input: str | None = None) -> Any:
    """`flask <args>` on `app`; returns click's result."""
    return app.test_cli_runner().invoke(args=list(args), input=input)


@pytest.fixture
def adopted(console_app: Flask) -> Flask:
    """The application with the console after `flask console adopt`."""
    result = run(console_app, "console", "adopt")
    assert result.exit_code == 0, result.output
    return console_app


@pytest.fixture
def operator(adopted: Flask) -> str:
    """An operator made the documented way: `flask console create-operator`, then the
    application's own permissions with Flask-Security's `flask roles add_permissions`."""
    result = run(
        adopted, "console", "create-operator", OPERATOR_EMAIL, "--password", OPERATOR_PASSWORD
    )
    assert result.exit_code == 0, result.output
    permissions = ",".join(before.ROLES["admin"])
    result = run(adopted, "roles", "add_permissions", "Administrator", permissions)
    assert result.exit_code == 0, result.output
    return OPERATOR_EMAIL


def sign_in(client: Client, email: str, password: str, prefix: str = "") -> Any:
    """Post the sign-in form (at /login before the console, /console/login after)."""
    return client.post(f"{prefix}/login", data={"email": email, "password": password})


def tf_validate(client: Client, code: str, prefix: str = "") -> Any:
    """Post the second step's code."""
    return client.post(f"{prefix}/tf-validate", data={"code": code})


Answers = dict[str, tuple[int, str]]
# The application's routes, each asked as a browser and as an API client.
ROUTES = ("/", "/me", "/admin-area", "/user-area", "/settings")


def answers(client: Client) -> Answers:
    """Status and body of every application route for `client`'s account."""
    seen: Answers = {}
    for route in ROUTES:
        for accept in ("text/html", "application/json"):
            response = client.get(route, headers={"Accept": accept})
            seen[f"{route} {accept}"] = (response.status_code, response.get_data(as_text=True))
    return seen
