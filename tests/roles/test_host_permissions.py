"""An application's own permissions: declared, granted in the console, and never dropped."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from console import HostPermission, declare_permissions
from console.core.permissions import ADMIN_ROLE, all_permissions
from tests.conftest import login
from tests.roles.conftest import ROLES_URL, member_ids, role_by_name

INVOICES = HostPermission("invoices:write", "Issue and correct invoices", group="Billing")
REPORTS = HostPermission("reports:read", "Read the monthly reports")
CLERK_PASSWORD = "clerk password 1"


@pytest.fixture
def app(app: Flask) -> Flask:
    """The console's app as a host: it declares two permissions and guards a page with one."""
    from flask_security import permissions_required

    declare_permissions(app, [INVOICES, REPORTS])

    @app.get("/invoices")
    @permissions_required("invoices:write")
    def invoices() -> str:
        return "the invoices"

    return app


def flask_roles(app: Flask, command: str, role: str, permissions: str) -> None:
    """Run Flask-Security's own `flask roles <command> <role> <permissions>`."""
    result = app.test_cli_runner().invoke(args=["roles", command, role, permissions])
    assert result.exit_code == 0, result.output


@pytest.fixture
def clerk(make_user) -> Any:
    """An account of the role Clerks, which carries no permission yet."""
    return make_user("clerk@example.com", password=CLERK_PASSWORD, roles=["Clerks"])


def _edit(client, role, **values: Any) -> Any:
    return client.post(ROLES_URL + f"edit/?id={role.id}", data={"name": role.name, **values})


def test_a_permission_granted_with_flask_security_survives_an_edit(
    app, signed_in_operator, make_user, events
):
    make_user("m@example.com", password=None, roles=["Ledger"], permissions=["users:read"])
    # Nobody declared ledger:close; the operator holds it too, so may change the role.
    flask_roles(app, "add_permissions", "Ledger", "ledger:close")
    flask_roles(app, "add_permissions", ADMIN_ROLE, "ledger:close")
    role = role_by_name("Ledger")
    form = signed_in_operator.get(ROLES_URL + f"edit/?id={role.id}").get_data(as_text=True)
    kept = form.split('data-testid="undeclared-permissions"')[1].split("</ul>")[0]
    assert "Not declared by this application" in kept and "<code>ledger:close</code>" in kept
    assert 'value="ledger:close"' not in form
    response = _edit(
        signed_in_operator, role, description="Closes the books", permissions=["users:read"]
    )
    assert response.status_code == 302
    assert role_by_name("Ledger").permissions == ["users:read", "ledger:close"]
    [event] = events
    assert event["details"]["changes"] == {"description": ["", "Closes the books"]}
    # Unticking every declared permission still leaves the undeclared one in place.
    assert _edit(signed_in_operator, role, permissions=[]).status_code == 302
    assert role_by_name("Ledger").permissions == ["ledger:close"]
    details = signed_in_operator.get(ROLES_URL + f"details/?id={role.id}").get_data(as_text=True)
    assert "<code>ledger:close</code>" in details
    assert 'data-testid="undeclared">Not declared by this application<' in details


def test_the_administrator_role_keeps_its_other_permissions(app, signed_in_operator):
    from console.accounts import create_operator

    flask_roles(app, "add_permissions", ADMIN_ROLE, "ledger:close,invoices:write")
    admin = role_by_name(ADMIN_ROLE)
    form = signed_in_operator.get(ROLES_URL + f"edit/?id={admin.id}").get_data(as_text=True)
    # A declared permission is a ticked checkbox: the browser posts it back with the others.
    # After the console's own permissions, one checkbox each.
    box = f"perm-{len(all_permissions()) + 1}"
    assert f'value="invoices:write" id="{box}" aria-describedby="{box}-help" checked' in form
    ticked = [*all_permissions(), "invoices:write"]
    response = _edit(signed_in_operator, admin, description="Runs it all", permissions=ticked)
    assert response.status_code == 302
    assert role_by_name(ADMIN_ROLE).permissions == [*ticked, "ledger:close"]
    # `flask console create-operator` again (a new password) keeps them as well.
    create_operator("operator@example.com", "a brand new password")
    assert {"ledger:close", "invoices:write"} <= set(role_by_name(ADMIN_ROLE).permissions)


def test_an_undeclared_permission_is_never_granted_by_the_console(app, operator, clerk):
    from console.roles import flows

    flask_roles(app, "add_permissions", ADMIN_ROLE, "ledger:close")
    role = role_by_name("Clerks")
    with pytest.raises(flows.RoleError, match="ledger:close is not declared"):
        flows.update_role(
            operator,
            role,
            name="Clerks",
            description="",
            permissions=["ledger:close"],
            require_mfa=False,
        )
    with pytest.raises(flows.RoleError, match="ledger:close is not declared"):
        flows.create_role(
            operator,
            name="Closers",
            description="",
            permissions=["ledger:close"],
            require_mfa=False,
        )
    assert role_by_name("Clerks").permissions in (None, [])
    assert role_by_name("Closers") is None


def test_declared_permissions_are_in_the_checklist_by_group(app, signed_in_operator):
    html = signed_in_operator.get(ROLES_URL + "new/").get_data(as_text=True)
    legends = [
        part.split("<legend", 1)[1].split(">", 1)[1].split("</legend>")[0]
        for part in html.split('data-testid="permission-group"')[1:]
    ]
    assert legends == ["Console", "Billing", "This application"]
    billing = html.split("Billing</legend>")[1].split("</fieldset>")[0]
    assert 'value="invoices:write"' in billing and "Issue and correct invoices" in billing
    assert 'value="reports:read"' in html.split("This application</legend>")[1]
    assert 'value="users:read" id="perm-1"' in html
    reference = signed_in_operator.get("/admin/permissions/").get_data(as_text=True)
    assert "Billing" in reference and "invoices:write" in reference
    assert "Read the monthly reports" in reference


def test_an_operator_holding_it_grants_and_revokes_it_and_the_host_page_follows(
    app, signed_in_operator, clerk, events
):
    flask_roles(app, "add_permissions", ADMIN_ROLE, "invoices:write")
    role = role_by_name("Clerks")
    clerk_client = app.test_client()
    assert login(clerk_client, clerk.email, CLERK_PASSWORD).status_code == 302
    assert clerk_client.get("/invoices").status_code == 403

    granted = _edit(signed_in_operator, role, permissions=["invoices:write"])
    assert granted.status_code == 302
    assert role_by_name("Clerks").permissions == ["invoices:write"]
    assert clerk_client.get("/invoices").get_data(as_text=True) == "the invoices"

    revoked = _edit(signed_in_operator, role, permissions=[])
    assert revoked.status_code == 302
    assert role_by_name("Clerks").permissions == []
    assert clerk_client.get("/invoices").status_code == 403
    assert [e["details"]["changes"]["permissions"] for e in events] == [
        [[], ["invoices:write"]],
        [["invoices:write"], []],
    ]


def test_an_operator_without_it_can_neither_grant_nor_revoke_it(
    app, sign_in_with, make_user, clerk, events
):
    make_user("b@example.com", password=None, roles=["Billing"], permissions=["invoices:write"])
    client = sign_in_with("roles:read", "roles:write", "users:read")
    created = client.post(
        ROLES_URL + "new/", data={"name": "Payers", "permissions": ["invoices:write"]}
    )
    assert "You cannot give a role the permission invoices:write" in created.get_data(as_text=True)
    assert role_by_name("Payers") is None
    clerks = role_by_name("Clerks")
    added = _edit(client, clerks, permissions=["invoices:write"])
    assert "You cannot give a role the permission invoices:write" in added.get_data(as_text=True)
    billing = role_by_name("Billing")
    removed = _edit(client, billing, permissions=[])
    assert "You cannot change the role Billing" in removed.get_data(as_text=True)
    assert role_by_name("Billing").permissions == ["invoices:write"]
    assert role_by_name("Clerks").permissions == []
    assert events == []


def test_who_may_act_on_whom_counts_host_permissions(app, signed_in_operator, make_user):
    payer = make_user("payer@example.com", password=None, roles=["Billing"])
    flask_roles(app, "add_permissions", "Billing", "invoices:write")
    make_user("x@example.com", password=None, roles=["Crew"])
    crew = role_by_name("Crew")
    refused = signed_in_operator.post(
        ROLES_URL + f"members/add/?id={crew.id}",
        data={"email": payer.email},
        follow_redirects=True,
    )
    assert payer.id not in member_ids(crew)
    assert "holds permissions you do not hold (invoices:write)" in refused.get_data(as_text=True)
    flask_roles(app, "add_permissions", ADMIN_ROLE, "invoices:write")
    signed_in_operator.post(ROLES_URL + f"members/add/?id={crew.id}", data={"email": payer.email})
    assert payer.id in member_ids(crew)


def test_checks_know_declared_permissions_and_refuse_typos(app):
    from console.core.permissions import UnknownPermission, has_permission, is_declared

    with app.test_request_context("/"):
        assert has_permission("invoices:write") is False
        assert is_declared("reports:read") and is_declared("users:read")
        with pytest.raises(UnknownPermission):
            has_permission("invoices:wirte")


def test_declarations_are_checked(app):
    declare_permissions(app, [INVOICES])  # the same declaration again is harmless
    bad = [
        HostPermission("users:read", "Ours, not yours"),
        HostPermission("invoices:write", "Something else"),
        HostPermission("a,b", "Two in one"),
        HostPermission("with space", "Two words"),
        HostPermission("", "Nameless"),
    ]
    for permission in bad:
        with pytest.raises(ValueError):
            declare_permissions(app, [permission])
    with pytest.raises(RuntimeError):
        declare_permissions(Flask("bare"), [INVOICES])
