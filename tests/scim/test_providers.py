"""The request shapes real identity providers send, as their documentation shows them:
Microsoft Entra ID (op names in capitals, booleans as strings, `value` objects without a
path, removes that name their members in `value`) and Okta (path-less replace, PUT of the
whole user, members removed by a filtered path)."""

from __future__ import annotations

from typing import Any

from .conftest import GROUP_SCHEMA, PATCH_SCHEMA, USER_SCHEMA, Scim, scim_error

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _account(user_id: str) -> Any:
    from console.core.models import models
    from console.extensions import db

    db.session.expire_all()
    return db.session.get(models().User, int(user_id))


def _patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


# --- Microsoft Entra ID ----------------------------------------------------------------------


def test_entra_id_provisions_updates_and_disables_a_user(
    scim: Scim, events: list[dict[str, Any]]
) -> None:
    # Entra ID first asks whether the account exists, by userName.
    query = scim.get('/Users?filter=userName eq "adele.vance@contoso.com"')
    assert query.get_json()["totalResults"] == 0
    created = scim.post(
        "/Users",
        {
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": "adele.vance@contoso.com",
            "active": True,
            "emails": [{"primary": True, "type": "work", "value": "adele.vance@contoso.com"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "Adele Vance", "familyName": "Vance", "givenName": "Adele"},
            "roles": [],
            "title": "Retail Manager",
            ENTERPRISE: {"department": "Retail", "employeeNumber": "1042"},
        },
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    user_id = created.get_json()["id"]

    # Its documented update: single-valued, multi-valued and extension paths, "Replace".
    response = scim.patch(
        f"/Users/{user_id}",
        _patch(
            {"op": "Replace", "path": "userName", "value": "adele@contoso.com"},
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "adele@contoso.com"},
            {"op": "Replace", "path": "name.familyName", "value": "Vance-Smith"},
            {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Sales"},
            {"op": "Replace", "path": "displayName", "value": "Adele Vance-Smith"},
        ),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["userName"] == "adele@contoso.com"
    assert body["emails"][0]["value"] == "adele@contoso.com"
    assert body["name"]["familyName"] == "Vance-Smith"
    assert body["displayName"] == "Adele Vance-Smith"
    # A value object without a path, and a boolean written as a string.
    response = scim.patch(
        f"/Users/{user_id}",
        _patch({"op": "Replace", "value": {"active": "False", "name.givenName": "Adèle"}}),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["active"] is False and body["name"]["givenName"] == "Adèle"
    user = _account(user_id)
    assert (user.email, user.name, user.active) == (
        "adele@contoso.com",
        "Adele Vance-Smith",
        False,
    )
    # Entra ID's "soft delete" is that PATCH; restoring the user sends the reverse.
    response = scim.patch(
        f"/Users/{user_id}", _patch({"op": "Replace", "path": "active", "value": "True"})
    )
    assert response.get_json()["active"] is True
    names = [e["action"] for e in events]
    assert "admin.user.deactivated" in names and "admin.user.activated" in names
    assert {e["details"].get("provider") for e in events} == {"Entra ID"}


def test_entra_id_manages_group_members(scim: Scim, make_user: Any) -> None:
    alice = make_user("alice@contoso.com")
    bob = make_user("bob@contoso.com")
    # Entra ID checks for the group by name, without its members.
    found = scim.get('/Groups?excludedAttributes=members&filter=displayName eq "Sales"')
    assert found.get_json()["totalResults"] == 0
    created = scim.post(
        "/Groups",
        {
            "schemas": [GROUP_SCHEMA],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "Sales",
            "meta": {"resourceType": "Group"},
        },
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    group_id = created.get_json()["id"]
    added = scim.patch(
        f"/Groups/{group_id}",
        _patch(
            {
                "op": "Add",
                "path": "members",
                "value": [{"$ref": None, "value": str(alice.id)}, {"value": str(bob.id)}],
            }
        ),
    )
    assert added.status_code == 200, added.get_data(as_text=True)
    assert {m["value"] for m in added.get_json()["members"]} == {str(alice.id), str(bob.id)}
    # Entra ID names the members to remove in `value`, not in the path.
    removed = scim.patch(
        f"/Groups/{group_id}",
        _patch({"op": "Remove", "path": "members", "value": [{"value": str(alice.id)}]}),
    )
    assert removed.status_code == 200, removed.get_data(as_text=True)
    assert [m["value"] for m in removed.get_json()["members"]] == [str(bob.id)]
    assert [role.name for role in _account(str(bob.id)).roles] == ["Sales"]
    assert _account(str(alice.id)).roles == []
    listed = scim.get('/Groups?filter=displayName eq "sales"&excludedAttributes=members')
    group = listed.get_json()["Resources"][0]
    assert group["externalId"] == "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"
    assert "members" not in group


# --- Okta ------------------------------------------------------------------------------------


def test_okta_provisions_replaces_and_deactivates_a_user(scim: Scim) -> None:
    lookup = scim.get(
        '/Users?filter=userName eq "test.user@okta.example.com"&startIndex=1&count=100'
    )
    assert lookup.get_json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }
    user = {
        "schemas": [USER_SCHEMA],
        "userName": "test.user@okta.example.com",
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": True, "value": "test.user@okta.example.com", "type": "work"}],
        "displayName": "Test User",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "active": True,
    }
    # With "Sync password" on, Okta sends one: refused, nothing written.
    scim_error(scim.post("/Users", {**user, "password": "1mz050nq"}), 400, "invalidValue")
    created = scim.post("/Users", user)
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["locale"] == "en" and body["name"]["givenName"] == "Test"
    # Okta updates a profile with a PUT of the whole user, id and all.
    replaced = scim.put(
        f"/Users/{body['id']}",
        {**user, "id": body["id"], "displayName": "Test User Jr", "timezone": "America/Chicago"},
    )
    assert replaced.status_code == 200, replaced.get_data(as_text=True)
    assert replaced.get_json()["displayName"] == "Test User Jr"
    assert replaced.get_json()["timezone"] == "America/Chicago"
    # And deactivates with a path-less replace.
    deactivated = scim.patch(
        f"/Users/{body['id']}", _patch({"op": "replace", "value": {"active": False}})
    )
    assert deactivated.status_code == 200, deactivated.get_data(as_text=True)
    assert deactivated.get_json()["active"] is False
    assert _account(body["id"]).active is False
    # A deactivated account is still there for Okta to reactivate.
    reactivated = scim.patch(
        f"/Users/{body['id']}", _patch({"op": "replace", "value": {"active": True}})
    )
    assert reactivated.get_json()["active"] is True


def test_okta_pushes_a_group_and_its_members(scim: Scim, make_user: Any) -> None:
    carol = make_user("carol@okta.example.com")
    dave = make_user("dave@okta.example.com")
    created = scim.post(
        "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Test SCIMv2", "members": []}
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    group_id = created.get_json()["id"]
    renamed = scim.patch(
        f"/Groups/{group_id}",
        _patch({"op": "replace", "value": {"id": group_id, "displayName": "Engineering"}}),
    )
    assert renamed.status_code == 200, renamed.get_data(as_text=True)
    assert renamed.get_json()["displayName"] == "Engineering"
    added = scim.patch(
        f"/Groups/{group_id}",
        _patch(
            {
                "op": "add",
                "path": "members",
                "value": [
                    {"value": str(carol.id), "display": "carol@okta.example.com"},
                    {"value": str(dave.id), "display": "dave@okta.example.com"},
                ],
            }
        ),
    )
    assert added.status_code == 200, added.get_data(as_text=True)
    removed = scim.patch(
        f"/Groups/{group_id}",
        _patch({"op": "remove", "path": f'members[value eq "{carol.id}"]'}),
    )
    assert [m["value"] for m in removed.get_json()["members"]] == [str(dave.id)]
    # The user shows its group, read-only.
    groups = scim.get(f"/Users/{dave.id}").get_json()["groups"]
    assert groups == [
        {
            "value": group_id,
            "$ref": f"http://localhost/scim/v2/Groups/{group_id}",
            "display": "Engineering",
            "type": "direct",
        }
    ]
    # Okta's full replacement of the members.
    replaced = scim.patch(
        f"/Groups/{group_id}",
        _patch({"op": "replace", "path": "members", "value": [{"value": str(carol.id)}]}),
    )
    assert [m["value"] for m in replaced.get_json()["members"]] == [str(carol.id)]
    assert scim.delete(f"/Groups/{group_id}").status_code == 204
    scim_error(scim.get(f"/Groups/{group_id}"), 404)
    assert _account(str(carol.id)).roles == []
