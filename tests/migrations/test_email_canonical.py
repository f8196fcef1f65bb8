"""The canonical-email migration fills existing rows, refuses look-alikes, and goes back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from console import create_app
from console.core.emails import canonical_email
from console.extensions import db
from tests.support import db as dbsupport

BEFORE = "9f0e1d2c3b4a"
REVISION = "f1e41e2d35db"


@pytest.fixture
def database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'emails.db'}"
        return
    url = dbsupport.create_postgres_database()
    yield url
    dbsupport.drop_postgres_database(url)


@contextmanager
def _disposing() -> Iterator[None]:
    try:
        yield
    finally:
        db.engine.dispose()


def _insert(emails: list[str]) -> None:
    with db.engine.begin() as conn:
        for index, email in enumerate(emails, start=1):
            conn.execute(
                sa.text(
                    'INSERT INTO "user" (id, email, active, fs_uniquifier) VALUES (:i, :e, :a, :u)'
                ),
                {"i": index, "e": email, "a": True, "u": f"u{index}"},
            )


def _columns() -> set[str]:
    return {column["name"] for column in sa.inspect(db.engine).get_columns("user")}


def test_existing_rows_are_filled_and_downgrade_drops_the_column(database: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "TESTING": True})
    with app.app_context(), _disposing():
        upgrade(revision=BEFORE)
        _insert(["Ada@example.com", "bob@example.com"])
        upgrade(revision=REVISION)
        with db.engine.connect() as conn:
            stored = dict(conn.execute(sa.text('SELECT email, email_canonical FROM "user"')).all())
        assert stored == {e: canonical_email(e) for e in ("Ada@example.com", "bob@example.com")}
        downgrade(revision=BEFORE)
        assert "email_canonical" not in _columns()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text('SELECT count(*) FROM "user"')).scalar() == 2


def test_existing_look_alikes_stop_the_upgrade_with_their_names(
    database: str, capfd: pytest.CaptureFixture[str]
):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "TESTING": True})
    with app.app_context(), _disposing():
        upgrade(revision=BEFORE)
        _insert(["admin@example.com", "admın@example.com"])
        with pytest.raises(SystemExit):
            upgrade(revision=REVISION)
        assert "admın@example.com (id 2)" in capfd.readouterr().err
        # Once the operator changes one of the addresses, the same upgrade goes through.
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE \"user\" SET email = 'other@example.com' WHERE id = 2"))
        upgrade(revision=REVISION)
        assert "email_canonical" in _columns()
