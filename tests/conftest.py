"""Fixtures: an app per test on SQLite and on PostgreSQL, clients, users, mail, queries."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g, request_started
from flask.testing import FlaskClient

from tests.support import db as dbsupport

pytest_plugins = ["tests.support.browser"]

BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses the database runs once per backend."""
    if "backend" in metafunc.fixturenames:
        only = os.environ.get("CONSOLE_TEST_BACKENDS")
        backends = [b for b in BACKENDS if not only or b in only.split(",")]
        metafunc.parametrize("backend", backends, indirect=True, scope="session")


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A database of this run's own on the shared PostgreSQL, dropped at the end."""
    url = dbsupport.create_postgres_database()
    yield url
    dbsupport.drop_postgres_database(url)


@pytest.fixture(scope="session")
def migrated_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> str:
    """A database at the newest migration, made once per backend and session."""
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_server")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'template.db'}"
    dbsupport.migrate(url)
    return url


@pytest.fixture
def database_url(backend: str, migrated_database: str, tmp_path: Path) -> Iterator[str]:
    """A clean database for one test: a copy of the SQLite template, or emptied tables."""
    if backend == "sqlite":
        target = tmp_path / "console.db"
        shutil.copy(migrated_database.removeprefix("sqlite:///"), target)
        yield f"sqlite:///{target}"
    else:
        dbsupport.truncate_all(migrated_database)
        yield migrated_database


def _settings_from_markers(request: pytest.FixtureRequest) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("settings"))):
        merged.update(marker.kwargs)
    return merged


@pytest.fixture
def app_config(database_url: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Configuration for the test's app; `@pytest.mark.settings(...)` overrides it."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        "RATELIMIT_ENABLED": False,
        # Cheap argon2 parameters: the tests are about flows, not the hash's cost.
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {
            "argon2__rounds": 1,
            "argon2__memory_cost": 256,
            "argon2__parallelism": 1,
        },
        # Each refusal of a locked account is its own event, written by its request: no
        # timer outlives the test (tests/lockout/test_lockout.py covers the counting).
        "CONSOLE_LOCKOUT_REFUSAL_INTERVAL": timedelta(0),
        # A job runs where it is started, before the call returns (tests/jobs also runs a
        # real Huey consumer on its SQLite storage).
        "CONSOLE_JOBS_IMMEDIATE": True,
        # No test reaches the internet: tests/account/test_breached.py turns the check on
        # against a local stub of the range API.
        "CONSOLE_BREACHED_PASSWORDS": False,
    }
    config.update(_settings_from_markers(request))
    return config


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    from console import create_app
    from console.extensions import db

    app = create_app(app_config)
    # Tests keep an app context open for their own database work, and Flask reuses an open
    # context for requests; emptying `g` when each request starts gives every request the
    # fresh `g` it has in production (Flask-Login and Flask-Security cache the user there).
    request_started.connect(_fresh_g, app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _fresh_g(sender: Flask, **extra: Any) -> None:
    for name in list(vars(g)):
        delattr(g, name)


@pytest.fixture
def no_wait(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Refusals of a locked account record their padding instead of sleeping."""
    from console.lockout import timing

    waits: list[float] = []
    monkeypatch.setattr(timing, "pad", lambda: waits.append(timing.hash_duration()))
    return waits


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., Any]:
    """Create an account: make_user("a@example.com", password="...", roles=["Auditor"])."""
    from console.accounts import create_account, ensure_role
    from console.extensions import db

    def factory(
        email: str | None = None,
        password: str | None = "correct horse battery",
        roles: list[str] | None = None,
        permissions: list[str] | None = None,
        **fields: Any,
    ) -> Any:
        email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
        role_objects = []
        for name in roles or []:
            role_objects.append(ensure_role(name, permissions or []))
        if permissions and not roles:
            role_objects.append(ensure_role(f"perm-{uuid.uuid4().hex[:6]}", permissions))
        user = create_account(email, password, roles=role_objects, **fields)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def operator(make_user: Callable[..., Any]) -> Any:
    """A full administrator with a known password."""
    from console.core.permissions import ADMIN_ROLE, all_permissions

    return make_user(
        "operator@example.com",
        password="operator password 1",
        roles=[ADMIN_ROLE],
        permissions=all_permissions(),
        name="Olive Operator",
    )


def login(client: FlaskClient, email: str, password: str, **extra: Any) -> Any:
    """Sign in through Flask-Security's form; returns the response."""
    return client.post(
        "/login", data={"email": email, "password": password, **extra}, follow_redirects=False
    )


# The password of the `member` fixture: an end user with no console permission.
MEMBER_PASSWORD = "correct horse battery"


HELPDESK_PASSWORD = "helpdesk password 1"


@pytest.fixture
def helpdesk(make_user: Callable[..., Any]) -> Any:
    """An operator who may read and change accounts, and nothing else (no role grants)."""
    return make_user(
        "helpdesk@example.com",
        password=HELPDESK_PASSWORD,
        roles=["Helpdesk"],
        permissions=["users:read", "users:write"],
    )


@pytest.fixture
def helpdesk_client(client: Any, helpdesk: Any) -> Any:
    assert login(client, helpdesk.email, HELPDESK_PASSWORD).status_code == 302
    return client


@pytest.fixture
def member(make_user: Callable[..., Any]) -> Any:
    """An account with no permissions: what every end user is."""
    return make_user("member@example.com", password=MEMBER_PASSWORD, name="Mia Member")


@pytest.fixture
def events(app: Flask) -> Iterator[list[dict[str, Any]]]:
    """Every console event emitted during the test: dicts of action, actor, subject, details.

    tests.support.events reads them (`actions`, `flat`).
    """
    from console.core.signals import console_event

    seen: list[dict[str, Any]] = []

    def record(sender: Any, **kwargs: Any) -> None:
        seen.append(kwargs)

    console_event.connect(record, sender=app)
    yield seen
    console_event.disconnect(record, sender=app)


@pytest.fixture
def signed_in_operator(client: FlaskClient, operator: Any) -> FlaskClient:
    response = login(client, operator.email, "operator password 1")
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def outbox(app: Flask) -> Callable[[], list[Any]]:
    """The messages in the development outbox, oldest first."""
    from console.extensions import db
    from console.mail.models import OutboxMessage

    def read() -> list[Any]:
        db.session.expire_all()
        return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))

    return read


class QueryCounter:
    """The SQL statements run while the counter is active."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Any]:
    """with count_queries() as counter: ...; len(counter) statements ran."""
    from contextlib import contextmanager

    from console.extensions import db

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            counter.statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)

    return counting
