"""Migration 2d9b6f0c8e17 fills user.has_second_factor and roles_users.user_create_datetime
for existing rows, across more than one batch, and its downgrade takes them away."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support import db as dbsupport

BEFORE = "4c7a2e9d1f60"
# Ids on both sides of the migration's batch boundary (20,000).
FACTORS = {
    1: ("authenticator", "secret", None),  # an authenticator app
    2: ("email", "secret", None),  # email codes
    3: ("authenticator", None, None),  # a method without its secret asks for nothing
    4: (None, None, "first"),  # a passwordless passkey is no second factor
    25_001: (None, None, "secondary"),  # a security key
    45_000: (None, None, None),
}
EXPECTED = {1: True, 2: True, 3: False, 4: False, 25_001: True, 45_000: False}


@pytest.fixture
def empty_database(backend: str, tmp_path: Path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = dbsupport.create_postgres_database()
    yield url
    dbsupport.drop_postgres_database(url)


def _seed(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO role (id, name) VALUES (1, 'Old'), (2, 'Other')"))
        for n, (method, secret, usage) in FACTORS.items():
            conn.execute(
                sa.text(
                    'INSERT INTO "user" (id, email, active, fs_uniquifier, create_datetime, '
                    "tf_primary_method, tf_totp_secret) "
                    "VALUES (:n, :email, :active, :u, :created, :method, :secret)"
                ),
                {
                    "n": n,
                    "email": f"old-{n}@example.com",
                    "active": True,
                    "u": f"u{n}",
                    "created": datetime(2020, 1, 1 + n % 28, 12, n % 60),
                    "method": method,
                    "secret": secret,
                },
            )
            for role in (1, 2) if n % 2 else (1,):
                conn.execute(
                    sa.text("INSERT INTO roles_users (user_id, role_id) VALUES (:n, :r)"),
                    {"n": n, "r": role},
                )
            if usage:
                conn.execute(
                    sa.text(
                        "INSERT INTO webauthn (credential_id, public_key, backup_state, "
                        "device_type, lastuse_datetime, name, usage, user_id) "
                        "VALUES (:cid, :pk, :bs, 'single_device', :used, 'Key', :usage, :n)"
                    ),
                    {
                        "cid": f"cred-{n}".encode(),
                        "pk": b"key",
                        "bs": False,
                        "used": datetime(2024, 1, 1),
                        "usage": usage,
                        "n": n,
                    },
                )
    engine.dispose()


def _downgrade(url: str, revision: str) -> None:
    from flask_migrate import downgrade

    from console import create_app
    from console.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        downgrade(revision=revision)
        db.engine.dispose()


def test_the_upgrade_fills_both_and_the_downgrade_removes_them(empty_database: str):
    dbsupport.migrate(empty_database, BEFORE)
    _seed(empty_database)

    dbsupport.migrate(empty_database)
    engine = sa.create_engine(empty_database)
    with engine.connect() as conn:
        flags = dict(conn.execute(sa.text('SELECT id, has_second_factor FROM "user"')).all())
        stale = conn.execute(
            sa.text(
                'SELECT count(*) FROM roles_users JOIN "user" ON "user".id = roles_users.user_id '
                "WHERE roles_users.user_create_datetime IS NULL "
                'OR roles_users.user_create_datetime <> "user".create_datetime'
            )
        ).scalar()
        memberships = conn.execute(sa.text("SELECT count(*) FROM roles_users")).scalar()
    engine.dispose()
    assert {n: bool(flag) for n, flag in flags.items()} == EXPECTED
    assert memberships == 9 and stale == 0

    _downgrade(empty_database, BEFORE)
    engine = sa.create_engine(empty_database)
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        user_columns = {c["name"] for c in inspector.get_columns("user")}
        member_columns = {c["name"] for c in inspector.get_columns("roles_users")}
        # Memberships are still written once the triggers are gone.
        conn.execute(sa.text("INSERT INTO roles_users (user_id, role_id) VALUES (2, 2)"))
        conn.commit()
    engine.dispose()
    assert "has_second_factor" not in user_columns
    assert member_columns == {"user_id", "role_id"}
