"""The user list: indexed prefix search, filters, sorting, keyset pages, HTMX fragment."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_security import naive_utcnow

from tests.users.conftest import BASE


def emails(html: str) -> list[str]:
    return re.findall(r'<a href="/admin/users/\d+/">([^<]+)</a>', html)


def test_list_shows_the_columns_and_no_secret(signed_in_operator, make_user):
    make_user(
        "ada@example.com",
        name="Ada Lovelace",
        username="ada",
        tf_primary_method="authenticator",
        tf_totp_secret="TOTPSECRETVALUE",
        roles=["Support"],
        permissions=["users:read"],
    )
    html = signed_in_operator.get(BASE).get_data(as_text=True)
    for text in ("ada@example.com", "Ada Lovelace", "ada", "authenticator", "Support"):
        assert text in html
    assert "TOTPSECRETVALUE" not in html
    assert "$argon2" not in html


SEARCHES = [
    ("GRACE", ["grace.hopper@example.com"]),
    ("hop", ["grace.hopper@example.com"]),
    ("Grace H", ["grace.hopper@example.com"]),
    ("ken", ["ken@example.com"]),
    ("KTH", ["ken@example.com"]),
    ("Émile", ["emile@example.com"]),
    ("opper", []),
    ("%", []),
    ("_", []),
]


def test_prefix_search_on_email_username_and_name(signed_in_operator, make_user):
    make_user("grace.hopper@example.com", username="hopper", name="Grace Hopper")
    make_user("ken@example.com", username="kthompson", name="Ken Thompson")
    make_user("emile@example.com", name="Émile Zola")
    for term, expected in SEARCHES:
        html = signed_in_operator.get(BASE, query_string={"q": term}).get_data(as_text=True)
        assert emails(html) == expected, term


def test_search_uses_the_lower_indexes(app, signed_in_operator):
    from console.extensions import db
    from console.users.query import ListParams, page_statement

    stmt = page_statement(ListParams(q="ab", sort="email", desc=False, page_size=10))
    sql = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            plan = " ".join(str(r) for r in conn.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}")))
        else:
            conn.execute(sa.text("SET enable_seqscan = off"))
            plan = " ".join(str(r) for r in conn.execute(sa.text(f"EXPLAIN {sql}")))
    for index in ("ix_user_email_lower", "ix_user_username_lower", "ix_user_name_lower"):
        assert index in plan, plan


def test_filters(signed_in_operator, make_user):
    now = naive_utcnow()
    make_user("active@example.com", current_login_at=now - timedelta(days=2))
    make_user("inactive@example.com", active=False)
    make_user("unconfirmed@example.com", confirmed=False)
    make_user("locked@example.com", locked_until=now + timedelta(hours=1))
    make_user(
        "mfa@example.com", tf_primary_method="email", tf_totp_secret="secret", roles=["Auditor"]
    )
    make_user("old@example.com", create_datetime=now - timedelta(days=400))

    def listed(**args) -> set[str]:
        html = signed_in_operator.get(BASE, query_string=args).get_data(as_text=True)
        return set(emails(html)) - {"operator@example.com"}

    assert "inactive@example.com" in listed(active="no")
    assert "active@example.com" not in listed(active="no")
    assert listed(confirmed="no") == {"unconfirmed@example.com"}
    assert listed(locked="yes") == {"locked@example.com"}
    assert listed(mfa="yes") == {"mfa@example.com"}
    from console.models import Role

    auditor = Role.query.filter_by(name="Auditor").one()
    assert listed(role=str(auditor.id)) == {"mfa@example.com"}
    day = (now - timedelta(days=1)).date().isoformat()
    assert listed(login_before=day) == {"active@example.com"}
    assert "active@example.com" not in listed(login_after=day)
    assert listed(created_to=(now - timedelta(days=300)).date().isoformat()) == {"old@example.com"}
    assert "old@example.com" not in listed(
        created_from=(now - timedelta(days=5)).date().isoformat()
    )
    # Nonsense filter values are ignored, never an error; a date that cannot be read is
    # refused with a message instead, since ignoring it would list more than was asked.
    assert (
        signed_in_operator.get(
            BASE,
            query_string={"role": "x", "sort": "password", "size": "-4", "after": "garbage"},
        ).status_code
        == 200
    )
    assert signed_in_operator.get(BASE, query_string={"created_from": "nope"}).status_code == 400


@pytest.mark.settings(CONSOLE_PAGE_SIZE=3)
def test_keyset_pages_visit_every_user_once_in_order(signed_in_operator, make_user):
    now = naive_utcnow()
    for i in range(8):
        make_user(
            f"u{i}@example.com",
            password=None,
            name=None if i % 3 == 0 else f"Name {i % 4}",
            create_datetime=now - timedelta(days=i % 3),
            current_login_at=None if i % 2 else now - timedelta(hours=i),
        )
    # Non-ASCII names: SQLite's lower() leaves them alone, PostgreSQL's lowers them.
    make_user("emile.z@example.com", name="Émile Zola")
    make_user("emile.a@example.com", name="émile Ajar")
    for sort in ("email", "name", "created", "last_login"):
        for direction in ("asc", "desc"):
            seen: list[str] = []
            url = f"{BASE}?sort={sort}&dir={direction}"
            pages = 0
            while url:
                response = signed_in_operator.get(url, headers={"HX-Request": "true"})
                html = response.get_data(as_text=True)
                seen.extend(emails(html))
                match = re.search(r'hx-get="([^"]+)"', html)
                url = match.group(1).replace("&amp;", "&") if match else None
                pages += 1
            assert len(seen) == len(set(seen)) == 11, (sort, direction, seen)
            assert pages == 4
            first_page = emails(
                signed_in_operator.get(f"{BASE}?sort={sort}&dir={direction}&size=20").get_data(
                    as_text=True
                )
            )
            assert seen == first_page, (sort, direction)


@pytest.mark.settings(CONSOLE_PAGE_SIZE=2, CONSOLE_PAGE_SIZE_MAX=5)
def test_page_size_is_capped(signed_in_operator, make_user):
    for i in range(7):
        make_user(f"cap{i}@example.com", password=None)
    html = signed_in_operator.get(BASE, query_string={"size": "1000"}).get_data(as_text=True)
    assert len(emails(html)) == 5
    assert len(emails(signed_in_operator.get(BASE).get_data(as_text=True))) == 2


def test_htmx_gets_the_rows_fragment(signed_in_operator, make_user):
    make_user("frag@example.com")
    response = signed_in_operator.get(
        BASE, query_string={"q": "frag"}, headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "<tr" in html
    assert "HX-Request" in response.headers["Vary"]
    full = signed_in_operator.get(BASE, query_string={"q": "frag"})
    assert "<html" in full.get_data(as_text=True)
    assert "HX-Request" in full.headers["Vary"]


def test_html_in_user_fields_and_search_is_escaped(signed_in_operator, make_user):
    make_user("x@example.com", name="<script>alert(1)</script>", username="<b>bold</b>")
    for headers in ({}, {"HX-Request": "true"}):
        html = signed_in_operator.get(BASE, headers=headers).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    search = '"><img src=x>'
    for headers in ({}, {"HX-Request": "true"}):
        html = signed_in_operator.get(BASE, query_string={"q": search}, headers=headers).get_data(
            as_text=True
        )
        assert "<img src=x>" not in html


def _list_sql(signed_in_operator, count_queries, size: int) -> list[str]:
    from console.extensions import db

    # The test's app context keeps one session across requests: start each one cold.
    db.session.expire_all()
    with count_queries() as counter:
        response = signed_in_operator.get(BASE, query_string={"size": size})
    assert response.status_code == 200
    return counter.statements


def _assert_no_count_and_no_deep_offset(app, client, url: str) -> None:
    """Run `url`; no statement counts rows, and any OFFSET (SQLite writes OFFSET 0) is 0."""
    from console.extensions import db

    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    for statement, parameters in seen:
        lowered = statement.lower()
        assert "count(" not in lowered, statement
        if "offset" in lowered:
            assert lowered.rstrip().endswith("offset ?"), statement
            assert parameters[-1] == 0, (statement, parameters)


@pytest.mark.settings(CONSOLE_PAGE_SIZE_MAX=50)
def test_constant_queries_no_count_no_deep_offset(
    app, signed_in_operator, make_user, count_queries
):
    from console.accounts import ensure_role
    from console.extensions import db

    roles = [ensure_role(f"Role {i}", []) for i in range(3)]
    for i in range(5):
        make_user(f"few{i}@example.com", password=None, tf_primary_method="email")
    small = _list_sql(signed_in_operator, count_queries, 2)
    for i in range(40):
        user = make_user(f"many{i}@example.com", password=None, name=f"Many {i}")
        user.roles = roles[: i % 3 + 1]
    db.session.commit()
    large = _list_sql(signed_in_operator, count_queries, 40)
    assert len(small) == len(large)
    # Following pages use a keyset condition, never an OFFSET.
    html = signed_in_operator.get(BASE, query_string={"size": 10}).get_data(as_text=True)
    next_url = re.search(r'hx-get="([^"]+)"', html).group(1).replace("&amp;", "&")
    db.session.expire_all()
    with count_queries() as counter:
        assert signed_in_operator.get(next_url).status_code == 200
    assert len(counter.statements) == len(large)
    for url in (f"{BASE}?size=40", next_url, f"{BASE}?q=many&mfa=no&sort=name"):
        _assert_no_count_and_no_deep_offset(app, signed_in_operator, url)


def test_column_headers_sort(signed_in_operator, make_user):
    make_user("b@example.com")
    make_user("a@example.com")
    html = signed_in_operator.get(BASE).get_data(as_text=True)
    link = re.search(r'href="([^"]*sort=email[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "dir=asc" in link
    sorted_page = signed_in_operator.get(link).get_data(as_text=True)
    assert emails(sorted_page) == ["a@example.com", "b@example.com", "operator@example.com"]
    assert 'aria-sort="ascending"' in sorted_page
