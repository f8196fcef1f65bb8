"""The impersonation migration grants users:impersonate to the roles that were full
administration, so that they stay so; its downgrade takes it back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from console import create_app
from console.core.permissions import ADDED_LATER
from console.extensions import db
from tests.support import db as dbsupport

BEFORE = "a4c6e8f0b2d5"
REVISION = "c7e9b1d3f5a8"


@pytest.fixture
def database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'impersonation.db'}"
        return
    url = dbsupport.create_postgres_database()
    yield url
    dbsupport.drop_postgres_database(url)


def _permissions() -> dict[str, str]:
    with db.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT name, permissions FROM role ORDER BY name"))
        return {name: permissions for name, permissions in rows}


def test_full_administrators_get_it_and_the_downgrade_takes_it_back(database: str):
    full = ",".join(sorted(ADDED_LATER["users:impersonate"]))
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "TESTING": True})
    with app.app_context():
        try:
            upgrade(revision=BEFORE)
            with db.engine.begin() as connection:
                insert = sa.text("INSERT INTO role (name, permissions) VALUES (:name, :held)")
                connection.execute(insert, {"name": "admins", "held": f"{full},invoices:write"})
                connection.execute(insert, {"name": "support", "held": "users:read,users:write"})
                connection.execute(insert, {"name": "nobody", "held": None})
            upgrade(revision=REVISION)
            held = _permissions()
            assert held["admins"] == f"{full},invoices:write,users:impersonate"
            assert held["support"] == "users:read,users:write"
            assert held["nobody"] is None
            downgrade(revision=BEFORE)
            assert _permissions()["admins"] == f"{full},invoices:write"
        finally:
            db.engine.dispose()
