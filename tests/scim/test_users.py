"""Users over SCIM: create, read, list, filter, sort, paginate, replace, delete, versions;
every change goes through the operators' flows and names the provider in the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.events import actions

from .conftest import USER_SCHEMA, Scim, new_user, scim_error


def _create(scim: Scim, email: str, **extra: Any) -> dict[str, Any]:
    response = scim.post("/Users", new_user(email, **extra))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _account(user_id: str) -> Any:
    from console.core.models import models
    from console.extensions import db

    db.session.expire_all()
    return db.session.get(models().User, int(user_id))


def test_create_maps_the_attributes_to_the_account_and_invites_it(
    scim: Scim, outbox: Callable[[], list[Any]], events: list[dict[str, Any]]
) -> None:
    response = scim.post(
        "/Users",
        new_user(
            "Ann.Lee@Example.com",
            externalId="00u1ab",
            name={"givenName": "Ann", "familyName": "Lee"},
            locale="fr-CA",
            timezone="Europe/Paris",
        ),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert response.headers["Location"] == body["meta"]["location"]
    assert response.headers["ETag"] == body["meta"]["version"] == 'W/"2"'
    assert body["userName"] == "Ann.Lee@example.com"
    assert body["emails"] == [{"value": "Ann.Lee@example.com", "type": "work", "primary": True}]
    assert body["name"] == {"formatted": "Ann Lee", "givenName": "Ann", "familyName": "Lee"}
    assert body["displayName"] == "Ann Lee" and body["externalId"] == "00u1ab"
    # A Canadian French locale is the console's French.
    assert body["locale"] == "fr" and body["timezone"] == "Europe/Paris"
    assert body["meta"]["resourceType"] == "User" and body["meta"]["created"]
    user = _account(body["id"])
    assert (user.email, user.name, user.locale, user.active) == (
        "Ann.Lee@example.com",
        "Ann Lee",
        "fr",
        True,
    )
    assert user.password is None
    mailed = [m for m in outbox() if m.recipients == "Ann.Lee@example.com"]
    # In the language the provider gave the account.
    assert len(mailed) == 1 and "invité" in mailed[0].subject
    created = [e for e in events if e["action"] == "admin.user.created"]
    assert created and created[0]["details"]["provider"] == "Entra ID"
    assert created[0]["details"]["via"] == "scim"
    assert created[0]["actor"].email == "scim@example.com"
    linked = [e for e in events if e["action"] == "scim.user.updated"][0]
    assert linked["details"]["changes"]["external_id"] == [None, "00u1ab"]


def test_a_password_is_never_accepted_and_nothing_is_written(
    scim: Scim, events: list[dict[str, Any]]
) -> None:
    error = scim_error(
        scim.post("/Users", new_user("pw@example.com", password="Secret-123")), 400, "invalidValue"
    )
    assert "password" in error["detail"]
    assert events == []
    listed = scim.get('/Users?filter=userName eq "pw@example.com"').get_json()
    assert listed["totalResults"] == 0


def test_bad_input_is_a_400_that_writes_nothing(scim: Scim) -> None:
    scim_error(scim.post("/Users", {"not": "a user"}), 400)
    scim_error(scim.post("/Users", new_user("not-an-address")), 400, "invalidValue")
    scim_error(scim.post("/Users", new_user("tz@example.com", timezone="Mars/Olympus")), 400)
    scim_error(scim.post("/Users", new_user("long@example.com", displayName="x" * 300)), 400)
    response = scim.client.post(
        "/scim/v2/Users",
        data="{not json",
        content_type="application/scim+json",
        headers={"Authorization": f"Bearer {scim.token}"},
    )
    scim_error(response, 400, "invalidSyntax")
    assert scim.get("/Users?count=0").get_json()["totalResults"] == 1  # the provider only


def test_a_look_alike_of_an_existing_address_is_refused(scim: Scim, member: Any) -> None:
    # A Cyrillic "а" in place of the Latin one: the same account to a reader.
    error = scim_error(scim.post("/Users", new_user("memb\u0435r@example.com")), 409, "uniqueness")
    assert "already uses" in error["detail"]
    scim_error(scim.post("/Users", new_user("MEMBER@example.com")), 409, "uniqueness")


def test_get_list_filter_sort_and_paginate(scim: Scim) -> None:
    ids = {}
    for email, name in (
        ("carol@example.com", "Carol Ng"),
        ("alice@example.com", "Alice Wu"),
        ("bob@example.org", "Bob Roy"),
    ):
        ids[email] = _create(scim, email, displayName=name)["id"]
    one = scim.get(f"/Users/{ids['alice@example.com']}")
    assert one.status_code == 200 and one.headers["ETag"] == one.get_json()["meta"]["version"]

    found = scim.get('/Users?filter=userName eq "ALICE@example.com"').get_json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == ids["alice@example.com"]

    ordered = scim.get(
        '/Users?filter=userName ew "@example.com" and not (userName eq "scim@example.com")'
        "&sortBy=userName&sortOrder=descending"
    ).get_json()
    assert [r["userName"] for r in ordered["Resources"]] == [
        "carol@example.com",
        "alice@example.com",
    ]
    page = scim.get("/Users?sortBy=displayName&startIndex=2&count=2&attributes=userName").get_json()
    assert page["totalResults"] == 4 and page["startIndex"] == 2 and page["itemsPerPage"] == 2
    assert [r["userName"] for r in page["Resources"]] == ["bob@example.org", "carol@example.com"]
    assert set(page["Resources"][0]) == {"schemas", "id", "userName"}
    excluded = scim.get(f"/Users/{ids['bob@example.org']}?excludedAttributes=emails").get_json()
    assert "emails" not in excluded and excluded["userName"] == "bob@example.org"

    searched = scim.post(
        "/Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'displayName sw "bo" or displayName co "ng"',
            "sortBy": "userName",
        },
    ).get_json()
    assert [r["userName"] for r in searched["Resources"]] == [
        "bob@example.org",
        "carol@example.com",
    ]
    empty = scim.get("/Users?count=0").get_json()
    assert empty["Resources"] == [] and empty["totalResults"] == 4
    scim_error(scim.get("/Users?sortBy=title"), 400, "invalidValue")
    scim_error(scim.get('/Users?filter=title eq "x"'), 400, "invalidFilter")
    scim_error(scim.get("/Users?filter=userName eq"), 400, "invalidFilter")
    scim_error(scim.get("/Users/999999"), 404)
    scim_error(scim.get("/Users/not-a-number"), 404)


def test_put_replaces_what_the_console_keeps(scim: Scim) -> None:
    created = _create(
        scim, "dan@example.com", displayName="Dan", externalId="x1", timezone="UTC", locale="en"
    )
    replacement = {
        "schemas": [USER_SCHEMA],
        "id": created["id"],
        "userName": "daniel@example.com",
        "name": {"givenName": "Daniel", "familyName": "Ortiz"},
        "active": True,
        "externalId": "x1",
        "title": "Engineer",  # a core attribute the console does not keep: ignored
    }
    response = scim.put(f"/Users/{created['id']}", replacement)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["userName"] == "daniel@example.com" and body["displayName"] == "Daniel Ortiz"
    assert "timezone" not in body and "locale" not in body and "title" not in body
    assert body["meta"]["version"] != created["meta"]["version"]
    user = _account(created["id"])
    assert (user.email, user.name, user.timezone, user.locale) == (
        "daniel@example.com",
        "Daniel Ortiz",
        None,
        None,
    )


def test_if_match_with_an_old_version_is_refused_with_412(scim: Scim) -> None:
    created = _create(scim, "eve@example.com", displayName="Eve")
    old = created["meta"]["version"]
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Eve A"}],
    }
    first = scim.patch(f"/Users/{created['id']}", patch, headers={"If-Match": old})
    assert first.status_code == 200 and first.headers["ETag"] != old
    again = {**patch, "Operations": [{"op": "replace", "path": "displayName", "value": "Eve B"}]}
    scim_error(scim.patch(f"/Users/{created['id']}", again, headers={"If-Match": old}), 412)
    scim_error(
        scim.put(f"/Users/{created['id']}", new_user("eve@example.com"), headers={"If-Match": old}),
        412,
    )
    scim_error(scim.delete(f"/Users/{created['id']}", headers={"If-Match": old}), 412)
    assert _account(created["id"]).name == "Eve A"


def test_delete_deactivates_and_hides_the_account(scim: Scim, events: list[dict[str, Any]]) -> None:
    created = _create(scim, "fay@example.com")
    response = scim.delete(f"/Users/{created['id']}")
    assert response.status_code == 204
    user = _account(created["id"])
    assert user is not None and user.active is False
    scim_error(scim.get(f"/Users/{created['id']}"), 404)
    scim_error(scim.delete(f"/Users/{created['id']}"), 404)
    assert scim.get('/Users?filter=userName eq "fay@example.com"').get_json()["totalResults"] == 0
    assert actions(events)[-2:] == ["admin.user.deactivated", "scim.user.deprovisioned"]
    assert all(e["details"]["provider"] == "Entra ID" for e in events[-2:])


@pytest.mark.settings(CONSOLE_SCIM_DELETE="delete")
def test_delete_removes_the_account_when_the_setting_says_so(scim: Scim) -> None:
    created = _create(scim, "gus@example.com")
    assert scim.delete(f"/Users/{created['id']}").status_code == 204
    assert _account(created["id"]) is None


def test_the_provider_cannot_touch_an_account_that_outranks_it(
    scim: Scim, operator: Any, make_user: Callable[..., Any], events: list[dict[str, Any]]
) -> None:
    auditor = make_user("auditor@example.com", permissions=["audit:read"])
    for target in (operator, auditor):
        patch = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        }
        error = scim_error(scim.patch(f"/Users/{target.id}", patch), 403)
        assert "audit:read" in error["detail"]
        scim_error(scim.delete(f"/Users/{target.id}"), 403)
        scim_error(scim.put(f"/Users/{target.id}", new_user(target.email, displayName="X")), 403)
        # Reading is not acting: the provider still sees them (and can match them).
        assert scim.get(f"/Users/{target.id}").status_code == 200
    assert _account(str(operator.id)).active and _account(str(auditor.id)).active
    assert events == []


def test_the_provider_cannot_deactivate_itself(scim: Scim, provider: Any) -> None:
    scim_error(scim.delete(f"/Users/{provider.id}"), 403)
    assert _account(str(provider.id)).active


def test_the_last_administrator_guard_holds(
    app: Any, make_user: Callable[..., Any], token_of: Callable[..., str]
) -> None:
    from console.core.models import models
    from console.core.permissions import all_permissions
    from console.extensions import db

    # A provider trusted with every permission still cannot end the last administration.
    boss = make_user("boss@example.com", roles=["Administrator"], permissions=all_permissions())
    robot = make_user(
        "robot@example.com", password=None, roles=["Administrator"], permissions=all_permissions()
    )
    scim = Scim(app.test_client(), token_of(robot, all_permissions()))
    assert scim.delete(f"/Users/{boss.id}").status_code == 204
    error = scim_error(scim.delete(f"/Users/{robot.id}"), 403)
    assert "own account" in error["detail"]
    admin_role = robot.roles[0]
    leave = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "remove", "path": f'members[value eq "{robot.id}"]'}],
    }
    error = scim_error(scim.patch(f"/Groups/{admin_role.id}", leave), 409)
    assert "last active holder of full administration" in error["detail"]
    db.session.expire_all()
    remaining = db.session.scalars(
        sa.select(models().User.email).where(models().User.active.is_(True))
    ).all()
    assert remaining == ["robot@example.com"]
    assert [role.name for role in _account(str(robot.id)).roles] == ["Administrator"]
