"""Guardrails: no privilege escalation, never lose the last full administrator."""

from __future__ import annotations

from console.core.permissions import ADMIN_ROLE, all_permissions
from tests.roles.conftest import ROLES_URL, member_ids, role_by_name

ROLE_WRITER = ("roles:read", "roles:write", "users:read")


def _flashes(response) -> str:
    return response.get_data(as_text=True)


def test_cannot_create_a_role_with_a_permission_not_held(sign_in_with, events):
    client = sign_in_with(*ROLE_WRITER)
    response = client.post(
        ROLES_URL + "new/", data={"name": "Auditors", "permissions": ["users:read", "audit:read"]}
    )
    assert response.status_code == 200
    assert "You cannot give a role the permission audit:read" in _flashes(response)
    assert role_by_name("Auditors") is None
    assert events == []


def test_can_create_a_role_within_own_permissions(sign_in_with):
    client = sign_in_with(*ROLE_WRITER)
    response = client.post(
        ROLES_URL + "new/", data={"name": "Readers", "permissions": ["users:read"]}
    )
    assert response.status_code == 302
    assert role_by_name("Readers").permissions == ["users:read"]


def test_cannot_add_an_unheld_permission_to_a_role(sign_in_with, make_user, events):
    make_user("m@example.com", password=None, roles=["Readers"], permissions=["users:read"])
    role = role_by_name("Readers")
    client = sign_in_with(*ROLE_WRITER)
    response = client.post(
        ROLES_URL + f"edit/?id={role.id}",
        data={"name": "Readers", "permissions": ["users:read", "mfa:reset"]},
    )
    assert response.status_code == 200
    assert "You cannot give a role the permission mfa:reset" in _flashes(response)
    assert role_by_name("Readers").permissions == ["users:read"]
    assert events == []


def test_cannot_change_a_role_above_own_permissions(sign_in_with, make_user):
    make_user("m@example.com", password=None, roles=["Auditors"], permissions=["audit:read"])
    role = role_by_name("Auditors")
    client = sign_in_with(*ROLE_WRITER)
    response = client.post(
        ROLES_URL + f"edit/?id={role.id}", data={"name": "Auditors", "description": "mine now"}
    )
    assert "You cannot change the role Auditors" in _flashes(response)
    assert role_by_name("Auditors").description in (None, "")


def test_cannot_grant_a_role_whose_permissions_are_not_held(sign_in_with, make_user, events):
    make_user("m@example.com", password=None, roles=["Auditors"], permissions=["audit:read"])
    newcomer = make_user("new@example.com", password=None)
    role = role_by_name("Auditors")
    client = sign_in_with(*ROLE_WRITER)
    response = client.post(
        ROLES_URL + f"members/add/?id={role.id}",
        data={"email": newcomer.email},
        follow_redirects=True,
    )
    assert "You cannot grant the role Auditors" in _flashes(response)
    assert newcomer.id not in member_ids(role)
    assert events == []


def test_cannot_delete_a_role_above_own_permissions(sign_in_with, make_user):
    from console.accounts import ensure_role
    from console.extensions import db

    ensure_role("Auditors", ["audit:read"])
    db.session.commit()
    role = role_by_name("Auditors")
    client = sign_in_with(*ROLE_WRITER)
    response = client.post(
        ROLES_URL + f"delete/?id={role.id}", data={"id": role.id, "confirm": "yes"}
    )
    assert "You cannot change the role Auditors" in _flashes(response)
    assert role_by_name("Auditors") is not None


def test_last_admin_role_keeps_every_permission(signed_in_operator, events):
    role = role_by_name(ADMIN_ROLE)
    fewer = [p for p in all_permissions() if p != "mail:read"]
    response = signed_in_operator.post(
        ROLES_URL + f"edit/?id={role.id}", data={"name": ADMIN_ROLE, "permissions": fewer}
    )
    assert response.status_code == 200
    assert "gives the last active accounts their full administration" in _flashes(response)
    assert set(role_by_name(ADMIN_ROLE).permissions) == set(all_permissions())
    assert events == []


def test_admin_role_can_lose_a_permission_when_another_full_role_has_an_active_member(
    signed_in_operator, make_user
):
    make_user(
        "second@example.com", password=None, roles=["Superusers"], permissions=all_permissions()
    )
    role = role_by_name(ADMIN_ROLE)
    fewer = [p for p in all_permissions() if p != "mail:read"]
    response = signed_in_operator.post(
        ROLES_URL + f"edit/?id={role.id}", data={"name": ADMIN_ROLE, "permissions": fewer}
    )
    assert response.status_code == 302
    assert "mail:read" not in role_by_name(ADMIN_ROLE).permissions


def test_an_inactive_full_admin_does_not_count(signed_in_operator, make_user):
    make_user(
        "gone@example.com",
        password=None,
        roles=["Superusers"],
        permissions=all_permissions(),
        active=False,
    )
    role = role_by_name(ADMIN_ROLE)
    response = signed_in_operator.post(
        ROLES_URL + f"edit/?id={role.id}", data={"name": ADMIN_ROLE, "permissions": ["users:read"]}
    )
    assert response.status_code == 200
    assert set(role_by_name(ADMIN_ROLE).permissions) == set(all_permissions())


def test_last_admin_role_cannot_be_deleted_even_with_reassignment(signed_in_operator, make_user):
    make_user("reader@example.com", password=None, roles=["Readers"], permissions=["users:read"])
    admin = role_by_name(ADMIN_ROLE)
    readers = role_by_name("Readers")
    response = signed_in_operator.post(
        ROLES_URL + f"delete/?id={admin.id}",
        data={"id": admin.id, "confirm": "yes", "reassign_to": readers.id},
    )
    assert response.status_code == 200
    assert "gives the last active accounts their full administration" in _flashes(response)
    assert role_by_name(ADMIN_ROLE) is not None
    assert len(member_ids(admin)) == 1


def test_last_admin_cannot_be_removed_from_the_admin_role(signed_in_operator, operator, events):
    role = role_by_name(ADMIN_ROLE)
    response = signed_in_operator.post(
        ROLES_URL + f"members/remove/?id={role.id}",
        data={"user_id": operator.id, "confirmed": "1"},
        follow_redirects=True,
    )
    assert "is the last active holder of full administration" in _flashes(response)
    assert operator.id in member_ids(role)
    assert events == []


def test_an_admin_can_leave_the_admin_role_when_another_admin_remains(
    signed_in_operator, operator, make_user
):
    other = make_user(
        "second@example.com", password=None, roles=[ADMIN_ROLE], permissions=all_permissions()
    )
    role = role_by_name(ADMIN_ROLE)
    response = signed_in_operator.post(
        ROLES_URL + f"members/remove/?id={role.id}", data={"user_id": other.id, "confirmed": "1"}
    )
    assert response.status_code == 302
    assert member_ids(role) == {operator.id}


def test_delete_is_refused_while_the_role_has_members(signed_in_operator, make_user, events):
    user = make_user("m@example.com", password=None, roles=["Crew"], permissions=["users:read"])
    role = role_by_name("Crew")
    page = signed_in_operator.get(ROLES_URL + f"delete/?id={role.id}").get_data(as_text=True)
    assert "1 account has this role" in page
    assert 'name="reassign_to"' in page
    response = signed_in_operator.post(
        ROLES_URL + f"delete/?id={role.id}", data={"id": role.id, "confirm": "yes"}
    )
    assert response.status_code == 200
    assert "still has 1 members" in _flashes(response)
    assert member_ids(role_by_name("Crew")) == {user.id}
    assert events == []


def test_delete_with_reassignment_moves_every_member(signed_in_operator, make_user, events):
    both = make_user(
        "both@example.com", password=None, roles=["Old", "New"], permissions=["users:read"]
    )
    only_old = make_user("old@example.com", password=None, roles=["Old"])
    only_new = make_user("new@example.com", password=None, roles=["New"])
    old, new = role_by_name("Old"), role_by_name("New")
    response = signed_in_operator.post(
        ROLES_URL + f"delete/?id={old.id}",
        data={"id": old.id, "confirm": "yes", "reassign_to": new.id},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "1 members now have New" in _flashes(response)
    assert role_by_name("Old") is None
    assert member_ids(role_by_name("New")) == {both.id, only_old.id, only_new.id}
    [event] = events
    assert event["action"] == "admin.role.deleted"
    assert event["details"]["reassigned_to"] == "New"
    assert event["details"]["members"] == 2
    assert event["details"]["moved"] == 1


def test_members_cannot_be_moved_to_a_role_not_held(sign_in_with, make_user):
    make_user("m@example.com", password=None, roles=["Readers"], permissions=["users:read"])
    make_user("a@example.com", password=None, roles=["Auditors"], permissions=["audit:read"])
    readers, auditors = role_by_name("Readers"), role_by_name("Auditors")
    client = sign_in_with(*ROLE_WRITER)
    response = client.post(
        ROLES_URL + f"delete/?id={readers.id}",
        data={"id": readers.id, "confirm": "yes", "reassign_to": auditors.id},
    )
    assert "You cannot grant the role Auditors" in _flashes(response)
    assert role_by_name("Readers") is not None
    assert len(member_ids(auditors)) == 1


def test_bulk_delete_action_is_not_offered(signed_in_operator, make_user):
    make_user("m@example.com", password=None, roles=["Crew"])
    role = role_by_name("Crew")
    signed_in_operator.post(ROLES_URL + "action/", data={"action": "delete", "rowid": role.id})
    assert role_by_name("Crew") is not None
