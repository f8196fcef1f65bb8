"""A database connection killed during a request: the console's 503, never a bare 500."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from .conftest import SECRET_KEY

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
)


def _terminate(database_url: str, pid: int) -> None:
    """End backend `pid` of the test's own database from another connection, and wait."""
    url = sa.make_url(database_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            # Both filters: only this test's own connection is ever a target.
            where = "pid = :pid AND datname = :name"
            params = {"pid": pid, "name": url.database}
            ended = conn.execute(
                sa.text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {where}"),
                params,
            ).scalar()
            assert ended, f"backend {pid} of {url.database} not found"
            deadline = time.monotonic() + 10
            while conn.execute(
                sa.text(f"SELECT 1 FROM pg_stat_activity WHERE {where}"), params
            ).first():
                assert time.monotonic() < deadline, f"backend {pid} did not end"
                time.sleep(0.05)
    finally:
        admin.dispose()


@pytest.fixture
def app(shared_postgres: str) -> Iterator[Flask]:
    """The console on a database of its own, with two test-only routes that lose their
    connection; no app context is held open, so every request ends its session as in
    production."""
    from console import create_app
    from console.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": shared_postgres,
            "SECRET_KEY": SECRET_KEY,
            "RATELIMIT_ENABLED": False,
        }
    )

    def own_backend_pid() -> int:
        return db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()

    @app.get("/test-only/dies-after-reading")
    def dies_after_reading() -> str:
        # The view's work is done and its answer made; the session's transaction is still
        # open, so the end of the request has to roll it back over the dead connection.
        _terminate(shared_postgres, own_backend_pid())
        return "read"

    @app.get("/test-only/dies-before-reading")
    def dies_before_reading() -> str:
        _terminate(shared_postgres, own_backend_pid())
        db.session.execute(sa.text("SELECT 1"))
        return "read"

    @app.get("/test-only/reads")
    def reads() -> str:
        return str(own_backend_pid())

    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("path", ["dies-after-reading", "dies-before-reading"])
def test_a_killed_connection_is_the_consoles_503_page(app: Flask, path: str) -> None:
    client = app.test_client()
    response = client.get(f"/test-only/{path}", headers={"Accept": "text/html"})
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert 'data-error-code="503"' in response.get_data(as_text=True)
    assert response.headers["Retry-After"]
    for header in SECURITY_HEADERS:
        assert response.headers.get(header), header
    # The pool replaced the dead connection: the next request is served as usual.
    again = client.get("/test-only/reads")
    assert again.status_code == 200
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_a_killed_connection_is_a_json_503_for_api_clients(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/test-only/dies-after-reading", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == 503
    assert response.headers["Content-Security-Policy"]
    assert client.get("/test-only/reads").status_code == 200


def test_many_killed_connections_leave_the_pool_healthy(app: Flask) -> None:
    """One after another on the same thread: no request inherits a dead session."""
    client = app.test_client()
    for _ in range(5):
        assert client.get("/test-only/dies-after-reading").status_code == 503
        assert client.get("/test-only/reads").status_code == 200
