"""Roles stay fast at a million users: constant queries, no COUNT over users, no OFFSET."""

from __future__ import annotations

import re
from contextlib import contextmanager

import sqlalchemy as sa

from console.accounts import ensure_role
from console.extensions import db
from tests.roles.conftest import ROLES_URL, bulk_members, role_by_name

COUNT_OVER_USERS = re.compile(r'count\(.*\bFROM\s+"?user"?(\s|$)', re.IGNORECASE | re.DOTALL)


@contextmanager
def _parameters():
    """Statements with their parameters: SQLite always writes OFFSET, so check its value."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def _statements(client, count_queries, url):
    client.get(url)  # the first request also loads the session's user; count a steady one
    with count_queries() as counter, _parameters() as executed:
        response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    _assert_scalable(executed)
    return counter.statements, response.get_data(as_text=True)


def _assert_scalable(executed):
    for statement, parameters in executed:
        assert not COUNT_OVER_USERS.search(statement), statement
        if "OFFSET" in statement.upper():
            # SQLite's dialect renders LIMIT ? OFFSET ? with a constant 0; anything else is
            # a deep page read the slow way.
            assert db.engine.dialect.name == "sqlite", statement
            assert statement.rstrip().upper().endswith("OFFSET ?"), statement
            assert list(parameters)[-1] == 0, (statement, parameters)


def _add_roles(prefix, count):
    for i in range(count):
        ensure_role(f"{prefix} {i:03d}", ["users:read"])
    db.session.commit()


def test_roles_list_queries_do_not_grow_with_roles_or_members(
    signed_in_operator, app, count_queries
):
    _add_roles("Small", 2)
    bulk_members(role_by_name("Small 000"), 3)
    small, _ = _statements(signed_in_operator, count_queries, ROLES_URL)
    _add_roles("Large", 60)
    for name in ("Large 000", "Large 001", "Large 002"):
        bulk_members(role_by_name(name), 40)
    large, html = _statements(signed_in_operator, count_queries, ROLES_URL)
    assert len(large) == len(small)
    assert "after=" in html  # 63 roles with a page of 50: a next page, by keyset
    # Member counts are the counters the database keeps: nothing counts roles_users.
    assert not any("count(" in s.lower() and "roles_users" in s for s in large)
    assert 'data-testid="member-count">40<' in html
    next_page, _ = _statements(signed_in_operator, count_queries, ROLES_URL + "?after=Large 049")
    assert len(next_page) == len(small)


def test_member_page_queries_do_not_grow_with_members(signed_in_operator, count_queries):
    ensure_role("Few", ["users:read"])
    ensure_role("Many", ["users:read"])
    db.session.commit()
    bulk_members(role_by_name("Few"), 3)
    ids = bulk_members(role_by_name("Many"), 130)
    few, _ = _statements(
        signed_in_operator, count_queries, ROLES_URL + f"details/?id={role_by_name('Few').id}"
    )
    many_url = ROLES_URL + f"details/?id={role_by_name('Many').id}"
    many, html = _statements(signed_in_operator, count_queries, many_url)
    assert len(many) == len(few)
    assert 'data-testid="member-count">130<' in html
    assert f"after={ids[49]}" in html
    deep, _ = _statements(signed_in_operator, count_queries, many_url + f"&after={ids[99]}")
    assert len(deep) == len(few)
    assert not any("count(" in s.lower() for s in many), "the count is the role's counter"


def test_role_form_never_loads_the_users(signed_in_operator, count_queries):
    ensure_role("Crew", ["users:read"])
    db.session.commit()
    role = role_by_name("Crew")
    url = ROLES_URL + f"edit/?id={role.id}"
    few, _ = _statements(signed_in_operator, count_queries, url)
    bulk_members(role, 80)
    bulk_members(role_by_name("Administrator"), 80)
    many, html = _statements(signed_in_operator, count_queries, url)
    assert len(many) == len(few)
    assert "bulk-" not in html
    from console.roles.forms import RoleForm

    assert "users" not in RoleForm()._fields
