"""Database set-up for the tests: a PostgreSQL database per run, migrations, clean tables."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

PG_SERVER = os.environ.get("CONSOLE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")


def _require_postgres() -> bool:
    return bool(os.environ.get("CONSOLE_REQUIRE_POSTGRES") or os.environ.get("CI"))


def create_postgres_database() -> str:
    """CREATE DATABASE console_test_<random>; unreachable is a failure in CI, a skip elsewhere."""
    name = f"console_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        if _require_postgres():
            pytest.fail(f"PostgreSQL is required but unreachable: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    finally:
        admin.dispose()
    return f"{PG_SERVER}/{name}"


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = sa.create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def migrate(url: str, revision: str = "heads") -> None:
    """Run the Alembic migrations against `url` (the schema is never made by create_all)."""
    from flask_migrate import upgrade

    from console import create_app
    from console.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(revision=revision)
        db.engine.dispose()


def truncate_all(url: str) -> None:
    """Empty every table but Alembic's, restarting identities."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(
            sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars()
        names = ", ".join(f'"{t}"' for t in tables)
        if names:
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
