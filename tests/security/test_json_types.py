"""JSON bodies of the wrong types: a clear 4xx and nothing changed, never a 500."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
import sqlalchemy as sa

from tests.security.routes import MUTATING, routes

# Names any form of the console or of Flask-Security might read, besides the page's own.
COMMON_FIELDS = (
    "name",
    "email",
    "password",
    "next",
    "reason",
    "version",
    "notes",
    "roles",
    "locale",
    "timezone",
    "code",
    "remember",
    "permissions",
    "action",
    "rowid",
    "key",
    "confirm",
)

# One value of each family a form field cannot take as text.
WRONG_TYPES: dict[str, Any] = {
    "number": 5,
    "float": 1.5,
    "list": [1],
    "nested list": [["x"]],
    "list with null": ["x", None],
    "object": {"a": 1},
    "null": None,
}


def _page_fields(client: Any, url: str) -> set[str]:
    """The names of the inputs on the GET page at `url` (its form, as a browser sees it)."""
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.content_type:
        response.close()
        return set()
    html = response.get_data(as_text=True)
    return {unescape(name) for name in re.findall(r'\sname="([^"]+)"', html)} - {"csrf_token"}


def _snapshot(operator_id: int) -> dict[str, Any]:
    """Every table's row count and the operator's own row, as stored."""
    from console.extensions import db
    from console.models import User

    db.session.expire_all()
    state: dict[str, Any] = {}
    for table in db.metadata.sorted_tables:
        if table.name == "dashboard_snapshot":
            continue  # a cache of figures derived from the other tables, refreshed after a view
        state[table.name] = db.session.scalar(sa.select(sa.func.count()).select_from(table))
    row = db.session.execute(sa.select(User.__table__).where(User.id == operator_id)).one()
    state["operator"] = dict(row._mapping)
    state["operator.roles"] = sorted(role.name for role in db.session.get(User, operator_id).roles)
    return state


def test_every_post_endpoint_refuses_wrong_types(app, signed_in_operator, operator, make_user):
    client = signed_in_operator
    make_user("bystander@example.com", name="Bea Bystander")
    posts = [
        route
        for route in routes(app)
        if route.methods & MUTATING
        and not route.endpoint.endswith("static")
        # The API parses JSON with its own schemas; tests/api/test_schemathesis.py sends it
        # wrong types (negative_data_rejection), and its bodiless DELETEs act on purpose.
        and not route.url.startswith("/api/v1/")
    ]
    assert len(posts) > 20
    fields = {
        route.url: sorted(
            (_page_fields(client, route.url) if "GET" in route.methods else set())
            | set(COMMON_FIELDS)
        )
        for route in posts
    }
    before = _snapshot(operator.id)
    failures = []
    for route in posts:
        names = fields[route.url]
        bodies = [{name: value for name in names} for value in WRONG_TYPES.values()]
        kinds = list(WRONG_TYPES.values())
        bodies += [{name: kinds[i % len(kinds)]} for i, name in enumerate(names)]
        for body in bodies:
            for method in sorted(route.methods & MUTATING):
                response = client.open(route.url, method=method, json=body)
                response.close()
                if response.status_code >= 500:
                    failures.append((method, route.url, body, response.status_code))
    assert failures == []
    assert _snapshot(operator.id) == before
    # Still signed in: no refusal signed the operator out.
    assert client.get("/admin/roles/").status_code == 200


@pytest.mark.parametrize("value", list(WRONG_TYPES.values()), ids=list(WRONG_TYPES))
def test_the_profile_says_which_field_is_wrong(signed_in_operator, operator, value):
    before = _snapshot(operator.id)
    response = signed_in_operator.post("/account/profile", json={"name": value})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == 400 and "“name”" in error["message"]
    assert _snapshot(operator.id) == before


def test_a_browser_gets_the_error_page(signed_in_operator):
    response = signed_in_operator.post(
        "/account/profile", json={"name": 5}, headers={"Accept": "text/html"}
    )
    # A JSON body asks for a JSON answer, whatever Accept says (Flask-Security does the same).
    assert response.status_code == 400 and response.is_json


def test_text_and_lists_of_text_still_reach_the_form(signed_in_operator, operator):
    response = signed_in_operator.post(
        "/account/profile", json={"name": ["Olga", "ignored"], "locale": "", "timezone": ""}
    )
    assert response.status_code in (200, 302), response.get_data(as_text=True)
    from console.extensions import db

    db.session.expire_all()
    assert db.session.get(type(operator), operator.id).name == "Olga"


def test_flask_security_json_sign_in_keeps_its_booleans(client, operator):
    response = client.post(
        "/login",
        json={"email": operator.email, "password": "operator password 1", "remember": True},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["meta"]["code"] == 200
    cookies = " ".join(response.headers.getlist("Set-Cookie"))
    assert "remember_token=" in cookies


def test_a_false_remember_sets_no_remember_cookie(client, operator):
    response = client.post(
        "/login",
        json={"email": operator.email, "password": "operator password 1", "remember": False},
    )
    assert response.status_code == 200
    assert "remember_token=" not in " ".join(response.headers.getlist("Set-Cookie"))


def test_a_wrong_type_at_sign_in_is_refused_before_any_check(client, operator):
    response = client.post("/login", json={"email": operator.email, "password": 12345678})
    assert response.status_code == 400
    assert "“password”" in response.get_json()["error"]["message"]
