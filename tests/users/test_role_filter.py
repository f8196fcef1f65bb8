"""The user list of one role in its default order is read off the role's memberships: their
copy of each member's creation date follows every change, and the pages list exactly the
members, once each, in the same order as the unfiltered list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_security import naive_utcnow

from tests.users.conftest import BASE


def emails(html: str) -> list[str]:
    return re.findall(r'<a href="/admin/users/\d+/">([^<]+)</a>', html)


def _copies_match() -> list[tuple]:
    """Memberships whose copy differs from their member's creation date (none, if kept)."""
    from console.extensions import db
    from console.models import User, roles_users

    return db.session.execute(
        sa.select(roles_users.c.user_id, roles_users.c.role_id)
        .join(User, User.id == roles_users.c.user_id)
        .where(
            sa.or_(
                roles_users.c.user_create_datetime.is_(None),
                roles_users.c.user_create_datetime != User.create_datetime,
            )
        )
    ).all()


def test_the_copy_follows_every_kind_of_membership_change(app, make_user):
    from console.accounts import ensure_role
    from console.extensions import db
    from console.models import User, roles_users

    now = naive_utcnow().replace(microsecond=0)
    crew = [
        make_user(f"crew-{n}@example.com", roles=["Crew"], create_datetime=now - timedelta(days=n))
        for n in range(3)
    ]
    spare = ensure_role("Spare", [])
    db.session.commit()
    assert _copies_match() == []
    # The ORM adds a membership; set-based SQL adds one and moves one to another member.
    crew[0].roles.append(spare)
    db.session.commit()
    db.session.execute(sa.insert(roles_users).values(user_id=crew[1].id, role_id=spare.id))
    db.session.execute(
        sa.update(roles_users)
        .where(roles_users.c.user_id == crew[1].id, roles_users.c.role_id == spare.id)
        .values(user_id=crew[2].id)
    )
    db.session.commit()
    assert _copies_match() == []
    # A member whose creation date is corrected carries it to every membership.
    db.session.execute(
        sa.update(User).where(User.id == crew[2].id).values(create_datetime=now - timedelta(days=9))
    )
    db.session.commit()
    assert _copies_match() == []
    copied = db.session.scalars(
        sa.select(roles_users.c.user_create_datetime).where(roles_users.c.user_id == crew[2].id)
    ).all()
    assert len(copied) == 2 and {value.replace(microsecond=0) for value in copied} == {
        now - timedelta(days=9)
    }


def _walk(client, url: str) -> tuple[list[str], int]:
    """Every email listed by following the rows fragment's next link from `url`."""
    seen: list[str] = []
    pages = 0
    while url:
        html = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
        seen.extend(emails(html))
        match = re.search(r'hx-get="([^"]+)"', html)
        url = match.group(1).replace("&amp;", "&") if match else None
        pages += 1
    return seen, pages


@pytest.mark.settings(CONSOLE_PAGE_SIZE=3)
def test_a_role_s_pages_list_its_members_once_in_the_list_s_order(signed_in_operator, make_user):
    from console.models import Role

    now = naive_utcnow()
    for i in range(10):
        make_user(
            f"m{i}@example.com",
            roles=["Crew"] if i % 3 else ["Crew", "Other"],
            # Ties on the creation date are broken by id, as in the unfiltered list.
            create_datetime=now - timedelta(days=i % 4),
            tf_primary_method="email" if i % 2 else None,
            tf_totp_secret="secret" if i % 2 else None,
        )
    make_user("outsider@example.com", roles=["Other"], create_datetime=now)
    crew = Role.query.filter_by(name="Crew").one()
    members = [f"m{i}@example.com" for i in range(10)]
    for direction in ("desc", "asc"):
        everyone, _ = _walk(signed_in_operator, f"{BASE}?sort=created&dir={direction}&size=50")
        expected = [email for email in everyone if email in members]
        seen, pages = _walk(signed_in_operator, f"{BASE}?role={crew.id}&dir={direction}")
        assert seen == expected, direction
        assert pages == 4
        # Combined with another filter, and with the MFA filter's own index.
        seen, _ = _walk(signed_in_operator, f"{BASE}?role={crew.id}&dir={direction}&mfa=yes")
        assert seen == [e for e in expected if int(e[1]) % 2], direction
    # Another order filters by role the other way, with the same members.
    by_email, _ = _walk(signed_in_operator, f"{BASE}?role={crew.id}&sort=email&dir=asc")
    assert by_email == sorted(members)


def test_the_role_s_page_reads_its_own_index(app, signed_in_operator, make_user):
    """The statement orders by the memberships' columns, which their index serves."""
    from console.extensions import db
    from console.models import Role
    from console.users.query import ListParams, page_statement

    make_user("one@example.com", roles=["Crew"])
    crew = Role.query.filter_by(name="Crew").one()
    stmt = page_statement(ListParams(role=crew.id, page_size=10))
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    assert re.search(r"ORDER BY roles_users\.user_create_datetime DESC, roles_users\.user_id", sql)
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            plan = " ".join(str(r) for r in conn.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}")))
        else:
            conn.execute(sa.text("SET enable_seqscan = off"))
            plan = " ".join(str(r) for r in conn.execute(sa.text(f"EXPLAIN {sql}")))
    assert "ix_roles_users_role_id_user_create_datetime" in plan, plan
