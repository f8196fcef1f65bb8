"""CSRF: every mutating request needs the token, HTMX included; GET never changes state."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.security.routes import GET_STATE_CHANGES, MUTATING, routes

pytestmark = pytest.mark.settings(WTF_CSRF_ENABLED=True)


def _token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html
    )
    assert match, html[:500]
    return match.group(1)


def _sign_in(client, operator) -> None:
    token = _token(client)
    response = login(client, operator.email, "operator password 1", csrf_token=token)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def _snapshot(app) -> dict[str, int]:
    """Row counts and the users' edit versions: what a forged request could change."""
    from console.extensions import db

    db.session.expire_all()
    state = {}
    for table in db.metadata.sorted_tables:
        if table.name.startswith("audit_"):
            continue  # the audit trail records reads (exports, views of secrets) by design
        if table.name == "dashboard_snapshot":
            continue  # a cache of figures derived from the other tables, refreshed after a view
        state[table.name] = db.session.scalar(sa.select(sa.func.count()).select_from(table))
    from console.models import User

    state["user.versions"] = db.session.scalar(sa.select(sa.func.sum(User.edit_version)))
    return state


def test_mutating_requests_without_a_token_are_refused(app, client, operator, make_user):
    _sign_in(client, operator)
    make_user("bystander@example.com")
    before = _snapshot(app)
    accepted = []
    for route in routes(app):
        for method in sorted(route.methods & MUTATING):
            response = client.open(route.url, method=method, data={"name": "forged"})
            refused = 401 if route.bearer_only else 400
            if response.status_code != refused:
                accepted.append((method, route.url, response.status_code))
    assert accepted == []
    assert _snapshot(app) == before
    # Still signed in: the refusals did not log the operator out or change anything.
    assert client.get("/admin/roles/").status_code == 200


def test_a_wrong_token_is_refused_too(client, operator):
    _sign_in(client, operator)
    response = client.post("/language", data={"language": "de", "csrf_token": "forged"})
    assert response.status_code == 400


def test_htmx_requests_send_the_token_as_a_header(app, client, operator):
    _sign_in(client, operator)
    token = _token(client, "/admin/roles/")
    without = client.post("/language", data={"language": "de"}, headers={"HX-Request": "true"})
    assert without.status_code == 400
    with_header = client.post(
        "/language",
        data={"language": "de"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert with_header.status_code in (200, 204, 302, 303)
    console_js = Path(app.root_path).parent / "static" / "console" / "console.js"
    source = console_js.read_text()
    assert "X-CSRFToken" in source and "htmx:configRequest" in source


def test_sign_in_form_needs_the_token(client, operator):
    response = login(client, operator.email, "operator password 1")
    assert response.status_code in (200, 400)
    assert client.get("/admin/roles/").status_code != 200


def test_get_requests_change_nothing(app, client, operator, make_user):
    """Open every page (with arguments that look like actions) and compare the database."""
    _sign_in(client, operator)
    make_user("bystander@example.com")
    before = _snapshot(app)
    for route in routes(app):
        if "GET" not in route.methods or route.endpoint in GET_STATE_CHANGES:
            continue
        if route.endpoint.endswith("static") or route.endpoint == "security.logout":
            continue
        client.get(route.url, query_string={"action": "delete", "confirm": "1", "id": "1"}).close()
    assert _snapshot(app) == before
    assert client.get("/admin/roles/").status_code == 200
