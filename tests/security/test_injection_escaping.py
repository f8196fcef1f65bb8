"""Injection and escaping: hostile text is shown as text, hostile parameters never reach SQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from markupsafe import escape

from tests.security.routes import routes

SCRIPT = "<script>alert('xss')</script>"
IMG = '"><img src=x onerror=alert(1)>'
SQL = ["'", "' OR '1'='1", '1; DROP TABLE "user"; --', "1) UNION SELECT password FROM user--"]


@pytest.fixture
def hostile(make_user):
    """A user and a role whose every free-text field carries markup."""
    from console.accounts import ensure_role
    from console.extensions import db

    user = make_user("hostile@example.com", name=SCRIPT + IMG, username="hostile")
    user.notes = SCRIPT + IMG
    role = ensure_role("Role" + IMG, ["users:read"], description=SCRIPT)
    db.session.commit()
    return user, role


def _all_pages(client):
    """Every page without arguments, and the hostile user's own pages."""
    for route in routes(client.application):
        if "GET" not in route.methods or route.endpoint.endswith("static"):
            continue
        response = client.get(route.url)
        if response.mimetype in ("text/html", "application/json") and response.status_code < 400:
            yield route.url, response.get_data(as_text=True)
        else:
            response.close()


def test_hostile_names_and_notes_are_escaped_on_every_page(signed_in_operator, hostile):
    user, _role = hostile
    seen = 0
    for url, body in _all_pages(signed_in_operator):
        assert SCRIPT not in body, url
        assert "<img src=x onerror" not in body, url
        seen += 1
    assert seen >= 5
    detail = signed_in_operator.get(f"/admin/users/{user.id}/")
    assert detail.status_code == 200
    assert str(escape(SCRIPT)) in detail.get_data(as_text=True)  # shown, as text


def test_reflected_parameters_are_escaped(signed_in_operator):
    hostile_args = {"search": SCRIPT, "q": IMG, "next": "javascript:alert(1)", "sort": SCRIPT}
    for route in routes(signed_in_operator.application):
        if "GET" not in route.methods or route.endpoint.endswith("static"):
            continue
        response = signed_in_operator.get(route.url, query_string=hostile_args)
        body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        response.close()
        assert SCRIPT not in body and "<img src=x onerror" not in body, route.url
        assert 'href="javascript:' not in body, route.url


def test_sign_in_pages_escape_what_was_typed(client):
    for path, field in (("/login", "email"), ("/us-signin", "identity"), ("/reset", "email")):
        body = client.post(path, data={field: SCRIPT + IMG, "password": "x"}).get_data(as_text=True)
        assert SCRIPT not in body and "<img src=x onerror" not in body


def _list_views(app):
    """Every admin list view (the pages that search, filter, sort and page)."""
    return [
        route.url
        for route in routes(app)
        if route.url.startswith("/admin/")
        and "GET" in route.methods
        and (route.endpoint.endswith(".index_view") or route.endpoint.endswith(".index"))
    ]


def test_list_parameters_never_reach_sql_unquoted(app, signed_in_operator, hostile):
    from console.extensions import db
    from console.models import User

    users_before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    lists = _list_views(app)
    assert "/admin/roles/" in lists
    for url in lists:
        for value in SQL:
            params = {
                "search": value,
                "q": value,
                "sort": value,
                "desc": value,
                "page": value,
                "page_size": value,
                "after": value,
                "cursor": value,
                "flt0_0": value,
                "flt1_email_equals": value,
                "role": value,
                "status": value,
            }
            response = signed_in_operator.get(url, query_string=params)
            response.close()
            assert response.status_code < 500, (url, value)
            htmx = signed_in_operator.get(url, query_string=params, headers={"HX-Request": "true"})
            htmx.close()
            assert htmx.status_code < 500, (url, value)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users_before


def test_search_does_not_match_everything_with_a_quote_trick(signed_in_operator, make_user):
    make_user("alice@example.com")
    body = signed_in_operator.get("/admin/users/", query_string={"q": "zzz' OR '1'='1"}).get_data(
        as_text=True
    )
    assert "alice@example.com" not in body
