"""Every role write of the API refuses as the role pages do: the same flow, the same rule,
the same words, with a stable code: missing permission, a role or member that outranks the
caller, the last full administrator, a stale If-Match. (No role flow asks for a recent
sign-in or a reason, so neither is refused here.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from console.core.permissions import ADMIN_ROLE
from tests.api.conftest import problem
from tests.conftest import login
from tests.roles.conftest import ROLES_URL, member_ids, role_by_name

ROLE_WRITER = ["roles:read", "roles:write", "users:read"]


@pytest.fixture
def sign_in_with(app: Flask, make_user: Callable[..., Any]) -> Callable[..., Any]:
    """A browser signed in to the role pages as a new account holding `permissions`."""

    def factory(*permissions: str) -> Any:
        user = make_user(password="holder password 1", permissions=list(permissions))
        client = app.test_client()
        assert login(client, user.email, "holder password 1").status_code == 302
        return client

    return factory


def _role_events(events: list[dict[str, Any]]) -> list[str]:
    """The role flows' events (creating a token is one of its own)."""
    return [e["action"] for e in events if e["action"].startswith("admin.role.")]


def _html_message(actor: Any, permission: str, target: Any = None) -> str:
    """What the pages say for the same refusal (they call the same policy)."""
    from console.core import policy

    return str(policy.refusal(actor, permission, target=target))


def _page(client: Any, path: str, **data: Any) -> Any:
    """The role page's answer to the same form, flashed messages included."""
    return client.post(ROLES_URL + path, data=data, follow_redirects=True)


def test_missing_permission(api_as: Any, make_user: Any, sign_in_with: Any) -> None:
    reader = make_user(permissions=["roles:read", "users:read"])
    api = api_as(reader)
    holder = make_user(roles=["Support"], permissions=["users:read"])
    role = holder.roles[0]
    body = problem(api.post("/roles", json={"name": "New"}), 403, "permission_denied")
    assert body["detail"] == _html_message(reader, "roles:write")
    etag = api.get(f"/roles/{role.id}").headers["ETag"]
    problem(
        api.patch(f"/roles/{role.id}", json={"description": "x"}, headers={"If-Match": etag}),
        403,
        "permission_denied",
    )
    # Without the permission there is nothing to be a precondition for.
    problem(api.patch(f"/roles/{role.id}", json={"description": "x"}), 403, "permission_denied")
    problem(api.delete(f"/roles/{role.id}"), 403, "permission_denied")
    other = make_user()
    problem(
        api.post(f"/roles/{role.id}/members", json={"user_id": other.id}), 403, "permission_denied"
    )
    problem(api.delete(f"/roles/{role.id}/members/{holder.id}"), 403, "permission_denied")
    assert role_by_name("New") is None and member_ids(role) == {holder.id}
    # The pages refuse the same account the same writes.
    page = sign_in_with("roles:read", "users:read")
    assert page.post(ROLES_URL + "new/", data={"name": "New"}).status_code == 403
    assert page.post(ROLES_URL + f"edit/?id={role.id}", data={"name": "x"}).status_code == 403
    # Reading needs roles:read.
    nobody = api_as(make_user(permissions=["users:read"]))
    problem(nobody.get("/roles"), 403, "permission_denied")
    problem(nobody.get(f"/roles/{role.id}/members"), 403, "permission_denied")


def test_granting_a_permission_the_caller_does_not_hold(
    api_as: Any, make_user: Any, sign_in_with: Any, events: Any
) -> None:
    api = api_as(make_user(permissions=ROLE_WRITER))
    asked = {"name": "Auditors", "permissions": ["users:read", "audit:read"]}
    body = problem(api.post("/roles", json=asked), 403, "permission_unheld")
    html = _page(sign_in_with(*ROLE_WRITER), "new/", **asked).get_data(as_text=True)
    assert body["detail"] in html
    role = make_user(roles=["Readers"], permissions=["users:read"]).roles[0]
    etag = api.get(f"/roles/{role.id}").headers["ETag"]
    edit = api.patch(
        f"/roles/{role.id}",
        json={"permissions": ["users:read", "mfa:reset"]},
        headers={"If-Match": etag},
    )
    assert "mfa:reset" in problem(edit, 403, "permission_unheld")["detail"]
    assert role_by_name("Auditors") is None
    assert role_by_name("Readers").permissions == ["users:read"]
    assert _role_events(events) == []


def test_a_role_that_outranks_the_caller(
    api_as: Any, make_user: Any, sign_in_with: Any, events: Any
) -> None:
    api = api_as(make_user(permissions=ROLE_WRITER))
    role = make_user(roles=["Auditors"], permissions=["audit:read"]).roles[0]
    etag = api.get(f"/roles/{role.id}").headers["ETag"]
    edit = api.patch(f"/roles/{role.id}", json={"description": "mine"}, headers={"If-Match": etag})
    body = problem(edit, 403, "change_unheld")
    page = sign_in_with(*ROLE_WRITER)
    html = _page(page, f"edit/?id={role.id}", name="Auditors", description="mine")
    assert body["detail"] in html.get_data(as_text=True)
    problem(api.delete(f"/roles/{role.id}"), 403, "change_unheld")
    newcomer = make_user()
    grant = api.post(f"/roles/{role.id}/members", json={"user_id": newcomer.id})
    body = problem(grant, 403, "grant_unheld")
    html = _page(page, f"members/add/?id={role.id}", email=newcomer.email)
    assert body["detail"] in html.get_data(as_text=True)
    assert role_by_name("Auditors").description in (None, "")
    assert newcomer.id not in member_ids(role)
    assert _role_events(events) == []


def test_removing_a_member_who_outranks_the_caller(
    api_as: Any, make_user: Any, sign_in_with: Any
) -> None:
    helpdesk = make_user(permissions=ROLE_WRITER)
    boss = make_user(permissions=["users:read", "audit:read"])
    staff = make_user(roles=["Staff"], permissions=["users:read"])
    role = staff.roles[0]
    api = api_as(helpdesk)
    # The boss holds a role the helpdesk could grant, but holds more besides.
    assert api.post(f"/roles/{role.id}/members", json={"user_id": boss.id}).status_code == 403
    from console.extensions import db

    boss.roles.append(role)
    db.session.commit()
    body = problem(api.delete(f"/roles/{role.id}/members/{boss.id}"), 403, "outranked")
    assert body["detail"] == _html_message(helpdesk, "roles:write", boss)
    html = _page(
        sign_in_with(*ROLE_WRITER), f"members/remove/?id={role.id}", user_id=boss.id, confirmed="1"
    )
    assert body["detail"] in html.get_data(as_text=True)
    assert boss.id in member_ids(role)
    # A member the caller does not outrank goes.
    assert api.delete(f"/roles/{role.id}/members/{staff.id}").status_code == 204


def test_the_last_full_administrator_keeps_the_role(
    operator_api: Any, operator: Any, events: Any
) -> None:
    admin = role_by_name(ADMIN_ROLE)
    body = problem(
        operator_api.delete(f"/roles/{admin.id}/members/{operator.id}"), 409, "last_admin"
    )
    assert operator.email in body["detail"]
    etag = operator_api.get(f"/roles/{admin.id}").headers["ETag"]
    strip = operator_api.patch(
        f"/roles/{admin.id}", json={"permissions": ["users:read"]}, headers={"If-Match": etag}
    )
    problem(strip, 409, "last_admin_role")
    assert operator.id in member_ids(admin)
    assert _role_events(events) == []


def test_a_stale_if_match(operator_api: Any, make_user: Any, events: Any) -> None:
    role = make_user(roles=["Support"], permissions=["users:read"]).roles[0]
    path = f"/roles/{role.id}"
    etag = operator_api.get(path).headers["ETag"]
    first = operator_api.patch(path, json={"description": "first"}, headers={"If-Match": etag})
    assert first.status_code == 200, first.get_data(as_text=True)
    body = problem(
        operator_api.patch(path, json={"description": "second"}, headers={"If-Match": etag}),
        412,
        "stale",
    )
    from console.roles.flows import RoleError

    assert body["detail"] == str(RoleError("stale", role="Support"))
    assert role_by_name("Support").description == "first"
    assert _role_events(events) == ["admin.role.updated"]
    # A weak or unrelated tag is no proof either.
    current = first.headers["ETag"]
    weak = operator_api.patch(path, json={"description": "x"}, headers={"If-Match": f"W/{current}"})
    problem(weak, 412, "stale")


def test_two_edits_made_on_the_same_etag_race_and_one_is_stale(
    app: Flask, operator: Any, make_user: Any
) -> None:
    from console.extensions import db
    from console.models import Role
    from console.roles import flows
    from tests.support.concurrency import simultaneous

    role = make_user(roles=["Support"], permissions=["users:read"]).roles[0]
    role_id, tag = role.id, flows.content_tag(role)
    db.session.commit()
    counter = iter(range(2))

    def edit(actor: Any) -> bool:
        changes = flows.update_role(
            actor,
            db.session.get(Role, role_id),
            name="Support",
            description=f"edit {next(counter)}",
            permissions=["users:read"],
            require_mfa=False,
            expected={tag},
        )
        return bool(changes)

    assert simultaneous(app, operator.id, edit) == [False, True]
    assert role_by_name("Support").description in ("edit 0", "edit 1")
