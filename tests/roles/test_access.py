"""Every role page and action checks a permission: roles:read to see, roles:write to change."""

from __future__ import annotations

import pytest

from tests.roles.conftest import ROLES_URL, member_ids, role_by_name

READS = [
    ("get", "", None),
    ("get", "details/?id={role}", None),
    ("get", "/admin/permissions/", None),
]
WRITES = [
    ("get", "new/", None),
    ("post", "new/", {"name": "Sneaky", "permissions": ["users:read"]}),
    ("get", "edit/?id={role}", None),
    ("post", "edit/?id={role}", {"name": "Renamed"}),
    ("get", "delete/?id={role}", None),
    ("post", "delete/?id={role}", {"id": "{role}", "confirm": "yes"}),
    ("post", "members/add/?id={role}", {"email": "target@example.com"}),
    ("post", "members/remove/?id={role}", {"user_id": "{member}", "confirmed": "1"}),
]
# A model view's own routes; the role pages are the console's, so none of these exists.
MODEL_VIEW_ROUTES = [
    ("post", "action/", {"action": "delete", "rowid": "{role}"}),
    ("post", "ajax/update/", {"list_form_pk": "{role}", "name": "Renamed"}),
    ("get", "ajax/lookup/?name=users&query=a", None),
    ("get", "export/csv/", None),
]


@pytest.fixture
def target(make_user):
    """A role with one member, and an account that could be added to it."""
    member = make_user(
        "member@example.com", password=None, roles=["Target"], permissions=["users:read"]
    )
    make_user("target@example.com", password=None)
    return role_by_name("Target"), member


def _call(client, method, path, data, role, member):
    url = path if path.startswith("/") else ROLES_URL + path
    url = url.format(role=role.id)
    if data is not None:
        data = {
            key: value.format(role=role.id, member=member.id) if isinstance(value, str) else value
            for key, value in data.items()
        }
    return getattr(client, method)(url, data=data)


def _unchanged(role, member):
    fresh = role_by_name("Target")
    assert fresh is not None and fresh.id == role.id
    assert member_ids(fresh) == {member.id}
    assert role_by_name("Sneaky") is None and role_by_name("Renamed") is None


def test_forbidden_without_roles_read(sign_in_with, target):
    role, member = target
    client = sign_in_with("users:read", "users:write")
    for method, path, data in READS + WRITES:
        response = _call(client, method, path, data, role, member)
        assert response.status_code == 403, (method, path)
    _unchanged(role, member)


def test_forbidden_without_roles_write(sign_in_with, target):
    role, member = target
    client = sign_in_with("roles:read", "users:read", "users:write")
    for method, path, data in WRITES:
        response = _call(client, method, path, data, role, member)
        assert response.status_code == 403, (method, path)
    _unchanged(role, member)
    for method, path, data in READS:
        assert _call(client, method, path, data, role, member).status_code == 200, path


def test_anonymous_is_sent_to_sign_in(client, target):
    role, member = target
    for method, path, data in READS + WRITES:
        response = _call(client, method, path, data, role, member)
        assert response.status_code == 302, (method, path)
        assert "/login" in response.headers["Location"]
    _unchanged(role, member)


def test_htmx_anonymous_gets_hx_redirect(client, target):
    response = client.get(ROLES_URL, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert "/login" in response.headers["HX-Redirect"]


def test_no_model_view_route_is_left(signed_in_operator, target):
    role, member = target
    for method, path, data in MODEL_VIEW_ROUTES:
        response = _call(signed_in_operator, method, path, data, role, member)
        assert response.status_code == 404, (method, path)
    _unchanged(role, member)
