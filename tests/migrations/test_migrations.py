"""The schema comes only from Alembic migrations, and they match the models."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from console import create_app
from console.extensions import db
from tests.support import db as dbsupport


@pytest.fixture
def empty_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = dbsupport.create_postgres_database()
    yield url
    dbsupport.drop_postgres_database(url)


def _diff(url: str) -> list:
    with warnings.catch_warnings():
        # SQLite cannot reflect expression indexes; Alembic warns and skips them there
        # (PostgreSQL compares them).
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, db.metadata)


def test_upgrade_matches_models_and_downgrade_empties(empty_database: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade(revision="heads")
        assert _diff(empty_database) == []
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade(revision="heads")
        assert "user" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_case_insensitive_email_index_exists(empty_database: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade(revision="heads")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*expression-based index.*")
            names = {ix["name"] for ix in sa.inspect(db.engine).get_indexes("user")}
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as conn:
                names |= set(
                    conn.execute(
                        sa.text("SELECT name FROM sqlite_master WHERE type='index'")
                    ).scalars()
                )
        assert "ix_user_email_lower" in names
        db.engine.dispose()


def test_migrations_ship_with_the_package():
    from console import resource_dir

    assert (resource_dir("migrations") / "env.py").exists()
    assert shutil.which("python3")
