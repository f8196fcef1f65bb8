"""Role member counters: the database keeps role.member_count right whatever writes the
memberships (ORM, set-based SQL, cascades, moves), and the migration fills it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support import db as dbsupport


def _counts() -> dict[str, int]:
    from console.extensions import db
    from console.models import Role

    db.session.expire_all()
    return dict(db.session.execute(sa.select(Role.name, Role.member_count)).all())


def _recount() -> dict[str, int]:
    from console.extensions import db
    from console.models import Role, roles_users

    stmt = (
        sa.select(Role.name, sa.func.count(roles_users.c.user_id))
        .outerjoin(roles_users, roles_users.c.role_id == Role.id)
        .group_by(Role.name)
    )
    return dict(db.session.execute(stmt).all())


def test_counters_follow_every_kind_of_membership_change(app, operator, make_user):
    from console.accounts import ensure_role
    from console.extensions import db
    from console.models import User, roles_users
    from console.roles import flows

    crew = [make_user(f"crew-{n}@example.com", password=None, roles=["Crew"]) for n in range(4)]
    ensure_role("Spare", [])
    db.session.commit()
    assert _counts()["Crew"] == 4 and _counts()["Spare"] == 0

    # The ORM removes one membership, and deletes a user with another.
    crew[0].roles = []
    db.session.delete(crew[1])
    db.session.commit()
    assert _counts()["Crew"] == 2

    # Set-based SQL and the foreign key's cascade.
    db.session.execute(sa.delete(User).where(User.id == crew[2].id))
    db.session.commit()
    assert _counts()["Crew"] == 1
    spare, other = ensure_role("Spare", []), ensure_role("Other", [])
    db.session.flush()
    db.session.execute(sa.insert(roles_users).values(user_id=crew[0].id, role_id=spare.id))
    db.session.execute(
        sa.update(roles_users)
        .where(roles_users.c.user_id == crew[0].id, roles_users.c.role_id == spare.id)
        .values(role_id=other.id)
    )
    db.session.commit()
    assert (_counts()["Spare"], _counts()["Other"]) == (0, 1)

    # Deleting a role moves its members to another one.
    crew_role = ensure_role("Crew", [])
    flows.delete_role(operator, crew_role, reassign_to=ensure_role("Spare", []))
    counts = _counts()
    assert "Crew" not in counts and counts["Spare"] == 1
    assert counts == _recount()


@pytest.fixture
def empty_database(backend: str, tmp_path: Path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = dbsupport.create_postgres_database()
    yield url
    dbsupport.drop_postgres_database(url)


def test_the_migration_counts_existing_memberships(empty_database: str):
    dbsupport.migrate(empty_database, "c31fcff8689d")
    engine = sa.create_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO role (id, name) VALUES (1, 'Old'), (2, 'Empty')"))
        for n in (1, 2, 3):
            conn.execute(
                sa.text(
                    'INSERT INTO "user" (id, email, active, fs_uniquifier) '
                    "VALUES (:n, :email, :active, :u)"
                ),
                {"n": n, "email": f"old-{n}@example.com", "active": True, "u": f"u{n}"},
            )
            conn.execute(
                sa.text("INSERT INTO roles_users (user_id, role_id) VALUES (:n, 1)"), {"n": n}
            )
    engine.dispose()

    dbsupport.migrate(empty_database)
    engine = sa.create_engine(empty_database)
    with engine.connect() as conn:
        counts = dict(conn.execute(sa.text("SELECT name, member_count FROM role")).all())
    engine.dispose()
    assert counts == {"Old": 3, "Empty": 0}
