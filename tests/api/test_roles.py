"""/roles: keyset pages, reading with an ETag, creating, editing with If-Match, deleting and
members, each through the role flows the HTML pages use."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from console import HostPermission, declare_permissions
from console.core.permissions import ADMIN_ROLE
from tests.api.conftest import Api, problem
from tests.conftest import login
from tests.roles.conftest import bulk_members, member_ids, role_by_name
from tests.support.events import flat

INVOICES = HostPermission("invoices:write", "Issue and correct invoices", group="Billing")


@pytest.fixture
def app(app: Flask) -> Flask:
    """The console's app as a host declaring a permission of its own."""
    declare_permissions(app, [INVOICES])
    return app


def _role(name: str, permissions: list[str], description: str = "") -> Any:
    from console.accounts import ensure_role
    from console.extensions import db

    role = ensure_role(name, permissions, description)
    db.session.commit()
    return role


def _grant_outside(app: Flask, role: str, permission: str) -> None:
    """Flask-Security's own `flask roles add_permissions`: a grant the console did not make."""
    result = app.test_cli_runner().invoke(args=["roles", "add_permissions", role, permission])
    assert result.exit_code == 0, result.output


def _signed_in(app: Flask, user: Any, password: str) -> Api:
    """The API through the browser session of `user`.

    A token's scopes are declared permissions only, so only a session carries a permission
    nobody declared (which changing a role that carries one needs).
    """
    client = app.test_client()
    assert login(client, user.email, password).status_code == 302
    return Api(client, None)


def _role_events(events: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """The role flows' events (creating a token or signing in is another's)."""
    return [(action, d) for action, d in flat(events) if action.startswith("admin.role.")]


def _role_actions(events: list[dict[str, Any]]) -> list[str]:
    return [action for action, _details in _role_events(events)]


def _follow(api: Any, url: str) -> Any:
    return api.client.get(url, headers=api._headers(None))


def test_list_pages_by_name_with_link_and_next(
    operator_api: Any, operator: Any, count_queries: Any
) -> None:
    for name in ("Alpha", "Bravo", "Charlie", "Delta"):
        _role(name, ["users:read"])
    with count_queries() as counter:
        first = operator_api.get("/roles?size=2")
    assert first.status_code == 200, first.get_data(as_text=True)
    body = first.get_json()
    assert [r["name"] for r in body["items"]] == ["Administrator", "Alpha"]
    assert body["items"][0]["member_count"] == 1
    assert body["next"] and first.headers["Link"] == f'<{body["next"]}>; rel="next"'
    assert "after=Alpha" in body["next"] and "offset" not in body["next"]
    # Keyset on the unique name (SQLite's driver spells every LIMIT with an OFFSET of 0).
    assert "count(" not in " ".join(counter.statements).lower()
    seen = [r["name"] for r in body["items"]]
    following = body["next"]
    while following:
        page = _follow(operator_api, following).get_json()
        seen += [r["name"] for r in page["items"]]
        following = page["next"]
    assert seen == [ADMIN_ROLE, "Alpha", "Bravo", "Charlie", "Delta"]
    problem(operator_api.get("/roles?size=0"), 422, "invalid_request")


def test_read_has_an_etag_and_the_role(operator_api: Any, make_user: Any) -> None:
    make_user("m@example.com", password=None, roles=["Support"], permissions=["users:read"])
    role = role_by_name("Support")
    response = operator_api.get(f"/roles/{role.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body == {
        "id": role.id,
        "name": "Support",
        "description": "",
        "permissions": ["users:read"],
        "undeclared_permissions": [],
        "require_mfa": False,
        "member_count": 1,
    }
    assert response.headers["ETag"].startswith('"') and len(response.headers["ETag"]) > 10
    problem(operator_api.get("/roles/999999"), 404, "not_found")
    problem(operator_api.get(f"/roles/{2**63}"), 404, "not_found")


def test_create_answers_201_with_location_and_etag(
    app: Flask, api_as: Any, operator: Any, operator_api: Any, events: Any
) -> None:
    response = operator_api.post(
        "/roles",
        json={
            "name": "  Billing  ",
            "description": "Invoices",
            "permissions": ["invoices:write", "users:read"],
            "require_mfa": True,
        },
    )
    # The operator holds every console permission, not the application's invoices:write.
    problem(response, 403, "permission_unheld")
    _grant_outside(app, ADMIN_ROLE, "invoices:write")
    operator_api = api_as(operator)  # a token scoped to what the operator now holds
    response = operator_api.post(
        "/roles",
        json={
            "name": "  Billing  ",
            "description": "Invoices",
            "permissions": ["invoices:write", "users:read"],
            "require_mfa": True,
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/roles/{body['id']}")
    # Stripped like the page's form does, permissions in catalogue order.
    assert body["name"] == "Billing" and body["require_mfa"] is True
    assert body["permissions"] == ["users:read", "invoices:write"]
    assert operator_api.get(f"/roles/{body['id']}").headers["ETag"] == response.headers["ETag"]
    assert _role_actions(events) == ["admin.role.created"]
    problem(operator_api.post("/roles", json={"name": "Billing"}), 409, "name_taken")
    invalid = problem(operator_api.post("/roles", json={"name": "   "}), 422, "invalid_request")
    assert "name" in invalid["errors"]
    problem(operator_api.post("/roles", json={}), 422, "invalid_request")
    undeclared = operator_api.post("/roles", json={"name": "Closers", "permissions": ["x:y"]})
    assert "x:y" in problem(undeclared, 422, "undeclared")["detail"]
    assert role_by_name("Closers") is None


def test_update_needs_if_match_and_refuses_a_stale_one(
    operator_api: Any, make_user: Any, events: Any
) -> None:
    make_user("m@example.com", password=None, roles=["Support"], permissions=["users:read"])
    path = f"/roles/{role_by_name('Support').id}"
    problem(operator_api.patch(path, json={"description": "x"}), 428, "if_match_required")
    etag = operator_api.get(path).headers["ETag"]
    done = operator_api.patch(
        path,
        json={"description": "Helpdesk", "permissions": ["users:read", "sessions:read"]},
        headers={"If-Match": etag},
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["description"] == "Helpdesk"
    assert done.get_json()["permissions"] == ["users:read", "sessions:read"]
    assert done.headers["ETag"] != etag
    [(action, details)] = _role_events(events)
    assert action == "admin.role.updated" and details["changes"]["description"] == ["", "Helpdesk"]
    stale = operator_api.patch(path, json={"name": "Other"}, headers={"If-Match": etag})
    problem(stale, 412, "stale")
    assert role_by_name("Support") is not None and role_by_name("Other") is None
    # An edit that changes nothing keeps the tag; "*" matches any current role.
    same = operator_api.patch(path, json={"name": "Support"}, headers={"If-Match": "*"})
    assert same.status_code == 200 and same.headers["ETag"] == done.headers["ETag"]
    assert len(_role_events(events)) == 1


def test_members_coming_and_going_do_not_make_an_edit_stale(
    operator_api: Any, make_user: Any
) -> None:
    role = _role("Support", ["users:read"])
    etag = operator_api.get(f"/roles/{role.id}").headers["ETag"]
    newcomer = make_user("new@example.com", password=None)
    added = operator_api.post(f"/roles/{role.id}/members", json={"user_id": newcomer.id})
    assert added.status_code == 201, added.get_data(as_text=True)
    done = operator_api.patch(
        f"/roles/{role.id}", json={"require_mfa": True}, headers={"If-Match": etag}
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["require_mfa"] is True and done.get_json()["member_count"] == 1


def test_an_undeclared_permission_survives_an_edit_that_does_not_name_it(
    app: Flask, operator: Any, make_user: Any, events: Any
) -> None:
    make_user("m@example.com", password=None, roles=["Ledger"], permissions=["users:read"])
    # Nobody declared ledger:close; the operator holds it too, so may change the role (as
    # tests/roles/test_host_permissions.py does on the page).
    _grant_outside(app, "Ledger", "ledger:close")
    _grant_outside(app, ADMIN_ROLE, "ledger:close")
    operator_api = _signed_in(app, operator, "operator password 1")
    role = role_by_name("Ledger")
    read = operator_api.get(f"/roles/{role.id}")
    assert read.get_json()["undeclared_permissions"] == ["ledger:close"]
    assert read.get_json()["permissions"] == ["users:read", "ledger:close"]
    done = operator_api.patch(
        f"/roles/{role.id}",
        json={"description": "Closes the books", "permissions": ["users:read"]},
        headers={"If-Match": read.headers["ETag"]},
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    assert role_by_name("Ledger").permissions == ["users:read", "ledger:close"]
    [(_action, details)] = _role_events(events)
    assert details["changes"] == {"description": ["", "Closes the books"]}
    # No declared permission left: the undeclared one stays, as on the page.
    emptied = operator_api.patch(
        f"/roles/{role.id}", json={"permissions": []}, headers={"If-Match": done.headers["ETag"]}
    )
    assert emptied.status_code == 200, emptied.get_data(as_text=True)
    assert role_by_name("Ledger").permissions == ["ledger:close"]
    # Sending back what was read (undeclared included) is accepted and changes nothing.
    echoed = operator_api.patch(
        f"/roles/{role.id}",
        json={"permissions": emptied.get_json()["permissions"]},
        headers={"If-Match": emptied.headers["ETag"]},
    )
    assert echoed.status_code == 200 and echoed.headers["ETag"] == emptied.headers["ETag"]
    # A name nobody declared and the role does not carry is refused, never granted.
    refused = operator_api.patch(
        f"/roles/{role.id}",
        json={"permissions": ["ledger:open"]},
        headers={"If-Match": emptied.headers["ETag"]},
    )
    problem(refused, 422, "undeclared")
    assert role_by_name("Ledger").permissions == ["ledger:close"]


def test_delete_moves_members_first(operator_api: Any, make_user: Any, events: Any) -> None:
    member = make_user("m@example.com", password=None, roles=["Old"], permissions=["users:read"])
    old, new = role_by_name("Old"), _role("New", ["users:read"])
    body = problem(operator_api.delete(f"/roles/{old.id}"), 409, "in_use")
    assert "Old" in body["detail"]
    problem(operator_api.delete(f"/roles/{old.id}?reassign_to={old.id}"), 422, "same_role")
    missing = operator_api.delete(f"/roles/{old.id}?reassign_to=999999")
    assert "reassign_to" in problem(missing, 422, "invalid_request")["errors"]
    done = operator_api.delete(f"/roles/{old.id}?reassign_to={new.id}")
    assert done.status_code == 204, done.get_data(as_text=True)
    assert role_by_name("Old") is None and member_ids(role_by_name("New")) == {member.id}
    assert _role_actions(events) == ["admin.role.deleted"]
    problem(operator_api.get(f"/roles/{old.id}"), 404, "not_found")
    empty = _role("Empty", [])
    assert operator_api.delete(f"/roles/{empty.id}").status_code == 204


def test_members_page_by_keyset_and_are_added_and_removed(
    operator_api: Any, make_user: Any, events: Any
) -> None:
    role = _role("Crew", ["users:read"])
    ids = bulk_members(role, 5)
    first = operator_api.get(f"/roles/{role.id}/members?size=2")
    assert first.status_code == 200, first.get_data(as_text=True)
    body = first.get_json()
    assert [m["id"] for m in body["items"]] == ids[:2]
    assert first.headers["Link"] == f'<{body["next"]}>; rel="next"'
    assert f"after={ids[1]}" in body["next"]
    seen = [m["id"] for m in body["items"]]
    following = body["next"]
    while following:
        page = _follow(operator_api, following).get_json()
        seen += [m["id"] for m in page["items"]]
        following = page["next"]
    assert seen == ids

    newcomer = make_user("new@example.com", password=None, name="New Comer")
    added = operator_api.post(f"/roles/{role.id}/members", json={"user_id": newcomer.id})
    assert added.status_code == 201, added.get_data(as_text=True)
    assert added.get_json() == {
        "id": newcomer.id,
        "email": "new@example.com",
        "name": "New Comer",
        "active": True,
    }
    location = added.headers["Location"]
    assert location.endswith(f"/api/v1/roles/{role.id}/members/{newcomer.id}")
    assert _follow(operator_api, location).get_json()["id"] == newcomer.id
    again = operator_api.post(f"/roles/{role.id}/members", json={"user_id": newcomer.id})
    problem(again, 409, "already_member")
    problem(
        operator_api.post(f"/roles/{role.id}/members", json={"user_id": 999999}), 404, "not_found"
    )

    assert operator_api.delete(f"/roles/{role.id}/members/{newcomer.id}").status_code == 204
    assert newcomer.id not in member_ids(role)
    problem(_follow(operator_api, location), 404, "not_found")
    problem(operator_api.delete(f"/roles/{role.id}/members/{newcomer.id}"), 409, "not_member")
    assert _role_actions(events) == ["admin.role.member_added", "admin.role.member_removed"]
