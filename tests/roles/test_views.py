"""The role admin's pages: list, create, edit, the role's page, members, delete, permissions."""

from __future__ import annotations

from console.core.permissions import ADMIN_ROLE, PERMISSIONS
from tests.roles.conftest import ROLES_URL, member_ids, role_by_name


def test_list_shows_roles_with_counts_mfa_and_permissions(signed_in_operator, make_user):
    make_user("a@example.com", password=None, roles=["Auditors"], permissions=["audit:read"])
    make_user("b@example.com", password=None, roles=["Auditors"], permissions=["audit:read"])
    page = signed_in_operator.get(ROLES_URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Auditors" in html and ADMIN_ROLE in html
    assert '<code class="me-2 text-nowrap">audit:read</code>' in html
    row = html.split('data-role="', 3)
    counts = [part.split('data-testid="member-count">')[1].split("<")[0] for part in row[1:]]
    # Administrator (the operator) then Auditors (two members), by name.
    assert counts == ["1", "2"]
    assert 'data-nav="roles.index_view"' in html
    assert "HX-Request" in page.headers["Vary"]


def test_list_pages_by_name_without_offset(signed_in_operator, app, make_user):
    from console.accounts import ensure_role
    from console.extensions import db

    app.config["CONSOLE_PAGE_SIZE"] = 2
    for name in ("Beta", "Alpha", "Gamma"):
        ensure_role(name, [])
    db.session.commit()
    first = signed_in_operator.get(ROLES_URL).get_data(as_text=True)
    assert "Alpha" in first and ADMIN_ROLE in first and "Beta" not in first
    assert "after=Alpha" in first
    more = signed_in_operator.get(ROLES_URL + "?after=Alpha", headers={"HX-Request": "true"})
    fragment = more.get_data(as_text=True)
    assert "<html" not in fragment
    assert "Beta" in fragment and "Gamma" in fragment and "Alpha" not in fragment


def test_create_role_with_permissions_and_mfa(signed_in_operator, events):
    response = signed_in_operator.post(
        ROLES_URL + "new/",
        data={
            "name": "  Support  ",
            "description": "First line",
            "permissions": ["users:read", "sessions:read"],
            "require_mfa": "y",
        },
    )
    assert response.status_code == 302
    role = role_by_name("Support")
    assert response.headers["Location"].endswith(f"/admin/roles/details/?id={role.id}")
    assert role.permissions == ["users:read", "sessions:read"]
    assert role.require_mfa is True
    assert role.description == "First line"
    [event] = events
    assert event["action"] == "admin.role.created"
    assert event["actor"].email == "operator@example.com"
    assert event["details"]["role"] == "Support"
    assert event["details"]["changes"]["permissions"] == [None, ["users:read", "sessions:read"]]
    assert event["details"]["changes"]["require_mfa"] == [None, True]


def test_create_form_lists_every_permission_with_its_description(signed_in_operator):
    html = signed_in_operator.get(ROLES_URL + "new/").get_data(as_text=True)
    for name, description in PERMISSIONS.items():
        assert f'value="{name}"' in html
        assert str(description) in html
    assert "Require MFA for members" in html
    assert 'name="users"' not in html


def test_create_refuses_unknown_permission_and_duplicate_name(signed_in_operator):
    bad = signed_in_operator.post(
        ROLES_URL + "new/", data={"name": "Odd", "permissions": ["root:everything"]}
    )
    assert bad.status_code == 200
    assert role_by_name("Odd") is None
    duplicate = signed_in_operator.post(ROLES_URL + "new/", data={"name": ADMIN_ROLE})
    assert duplicate.status_code == 200
    assert f"A role named {ADMIN_ROLE} already exists." in duplicate.get_data(as_text=True)
    empty = signed_in_operator.post(ROLES_URL + "new/", data={"name": "   "})
    assert empty.status_code == 200
    assert "is-invalid" in empty.get_data(as_text=True)


def test_edit_role_records_only_the_changes(signed_in_operator, make_user, events):
    make_user("m@example.com", password=None, roles=["Helpdesk"], permissions=["users:read"])
    role = role_by_name("Helpdesk")
    form = signed_in_operator.get(ROLES_URL + f"edit/?id={role.id}")
    assert form.status_code == 200
    assert 'value="users:read" id="perm-1" aria-describedby="perm-1-help" checked' in (
        form.get_data(as_text=True)
    )
    response = signed_in_operator.post(
        ROLES_URL + f"edit/?id={role.id}",
        data={"name": "Helpdesk", "permissions": ["users:read", "mfa:read"], "require_mfa": "y"},
    )
    assert response.status_code == 302
    role = role_by_name("Helpdesk")
    assert role.permissions == ["users:read", "mfa:read"]
    assert role.require_mfa is True
    [event] = events
    assert event["action"] == "admin.role.updated"
    assert event["details"]["changes"] == {
        "permissions": [["users:read"], ["users:read", "mfa:read"]],
        "require_mfa": [False, True],
    }


def test_edit_without_changes_sends_no_event(signed_in_operator, make_user, events):
    make_user("m@example.com", password=None, roles=["Quiet"], permissions=["users:read"])
    role = role_by_name("Quiet")
    response = signed_in_operator.post(
        ROLES_URL + f"edit/?id={role.id}", data={"name": "Quiet", "permissions": ["users:read"]}
    )
    assert response.status_code == 302
    assert events == []


def test_role_page_lists_members_and_pages_them(signed_in_operator, app, make_user):
    app.config["CONSOLE_PAGE_SIZE"] = 2
    users = [make_user(f"member{i}@example.com", password=None, roles=["Crew"]) for i in range(3)]
    role = role_by_name("Crew")
    page = signed_in_operator.get(ROLES_URL + f"details/?id={role.id}")
    html = page.get_data(as_text=True)
    assert 'data-testid="member-count">3<' in html
    assert users[0].email in html and users[1].email in html and users[2].email not in html
    assert f"after={users[1].id}" in html
    more = signed_in_operator.get(
        ROLES_URL + f"details/?id={role.id}&after={users[1].id}", headers={"HX-Request": "true"}
    )
    fragment = more.get_data(as_text=True)
    assert "<html" not in fragment
    assert users[2].email in fragment and users[0].email not in fragment
    assert "HX-Request" in more.headers["Vary"]


def test_member_links_to_the_user_page_when_it_exists(signed_in_operator, app, make_user):
    user = make_user("linked@example.com", password=None, roles=["Crew"])
    role = role_by_name("Crew")
    html = signed_in_operator.get(ROLES_URL + f"details/?id={role.id}").get_data(as_text=True)
    assert user.email in html
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    if "users.user_view" in app.view_functions:
        assert f'href="/admin/users/{user.id}/"' in html
    elif "/admin/users/details/" in rules:
        assert f'href="/admin/users/details/?id={user.id}"' in html
    else:
        assert f">{user.email}</a>" not in html


def test_unknown_role_is_a_404(signed_in_operator):
    assert signed_in_operator.get(ROLES_URL + "details/?id=999999").status_code == 404
    assert signed_in_operator.get(ROLES_URL + "details/?id=abc").status_code == 404
    assert signed_in_operator.get(ROLES_URL + "delete/?id=999999").status_code == 404


def test_add_and_remove_member(signed_in_operator, make_user, events):
    user = make_user("joiner@example.com", password=None, roles=["Crew"])
    make_user("other@example.com", password=None, roles=["Night shift"])
    role = role_by_name("Night shift")
    added = signed_in_operator.post(
        ROLES_URL + f"members/add/?id={role.id}", data={"email": "JOINER@example.com"}
    )
    assert added.status_code == 302
    assert user.id in member_ids(role)
    removed = signed_in_operator.post(
        ROLES_URL + f"members/remove/?id={role.id}", data={"user_id": user.id, "confirmed": "1"}
    )
    assert removed.status_code == 302
    assert user.id not in member_ids(role)
    assert [e["action"] for e in events] == ["admin.role.member_added", "admin.role.member_removed"]
    assert events[0]["subject"].id == user.id
    assert events[0]["details"]["role"] == "Night shift"
    assert events[0]["details"]["changes"] == {"roles": [["Crew"], ["Crew", "Night shift"]]}


def test_removing_a_member_without_javascript_asks_on_a_page_first(
    signed_in_operator, make_user, events
):
    user = make_user("leaver@example.com", password=None, roles=["Crew"])
    role = role_by_name("Crew")
    details = signed_in_operator.get(ROLES_URL + f"details/?id={role.id}").get_data(as_text=True)
    # The dialog's answer is sent along by the page's script.
    assert 'data-confirm-field="confirmed"' in details
    asked = signed_in_operator.post(
        ROLES_URL + f"members/remove/?id={role.id}", data={"user_id": user.id}
    )
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "Take the role Crew from leaver@example.com?" in page
    assert 'name="confirmed" value="1"' in page and f'name="user_id" value="{user.id}"' in page
    assert user.id in member_ids(role) and events == []
    done = signed_in_operator.post(
        ROLES_URL + f"members/remove/?id={role.id}", data={"user_id": user.id, "confirmed": "1"}
    )
    assert done.status_code == 302 and user.id not in member_ids(role)


def test_an_edit_made_on_an_older_role_is_refused_and_shows_the_current_one(
    signed_in_operator, operator, make_user, events
):
    import re

    from console.roles import flows

    make_user("m@example.com", password=None, roles=["Desk"], permissions=["users:read"])
    role = role_by_name("Desk")
    page = signed_in_operator.get(ROLES_URL + f"edit/?id={role.id}").get_data(as_text=True)
    [version] = re.findall(r'name="version" value="([0-9a-f]+)"', page)
    assert version == flows.content_tag(role)
    # Someone else (or the same operator in another tab) saves first.
    flows.update_role(
        operator,
        role,
        name="Desk",
        description="theirs",
        permissions=["users:read"],
        require_mfa=False,
    )
    stale = signed_in_operator.post(
        ROLES_URL + f"edit/?id={role.id}",
        data={
            "name": "Desk",
            "description": "mine",
            "permissions": ["users:read"],
            "version": version,
        },
    )
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "was changed by someone else" in html and ">theirs</textarea>" in html
    assert role_by_name("Desk").description == "theirs"
    [current] = re.findall(r'name="version" value="([0-9a-f]+)"', html)
    assert current != version
    again = signed_in_operator.post(
        ROLES_URL + f"edit/?id={role.id}",
        data={
            "name": "Desk",
            "description": "mine",
            "permissions": ["users:read"],
            "version": current,
        },
    )
    assert again.status_code == 302 and role_by_name("Desk").description == "mine"
    assert [e["details"]["changes"]["description"] for e in events] == [
        ["", "theirs"],
        ["theirs", "mine"],
    ]


def test_add_unknown_email_changes_nothing(signed_in_operator, make_user):
    make_user("x@example.com", password=None, roles=["Crew"])
    role = role_by_name("Crew")
    response = signed_in_operator.post(
        ROLES_URL + f"members/add/?id={role.id}",
        data={"email": "ghost@example.com"},
        follow_redirects=True,
    )
    assert "No account has the email address ghost@example.com." in response.get_data(as_text=True)
    assert len(member_ids(role)) == 1


def test_delete_unused_role_after_confirmation(signed_in_operator, make_user, events):
    from console.accounts import ensure_role
    from console.extensions import db

    ensure_role("Temporary", ["users:read"])
    db.session.commit()
    role = role_by_name("Temporary")
    confirm = signed_in_operator.get(ROLES_URL + f"delete/?id={role.id}")
    assert confirm.status_code == 200
    assert "Delete the role Temporary?" in confirm.get_data(as_text=True)
    assert role_by_name("Temporary") is not None
    unconfirmed = signed_in_operator.post(ROLES_URL + f"delete/?id={role.id}", data={"id": role.id})
    assert unconfirmed.status_code == 200
    assert role_by_name("Temporary") is not None
    done = signed_in_operator.post(
        ROLES_URL + f"delete/?id={role.id}", data={"id": role.id, "confirm": "yes"}
    )
    assert done.status_code == 302
    assert role_by_name("Temporary") is None
    [event] = events
    assert event["action"] == "admin.role.deleted"
    assert event["details"]["role"] == "Temporary"
    assert event["details"]["changes"]["permissions"] == [["users:read"], None]


def test_permissions_reference_page(sign_in_with):
    page = sign_in_with("roles:read").get("/admin/permissions/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name, description in PERMISSIONS.items():
        assert name in html and str(description) in html


def test_read_only_operator_sees_no_write_controls(sign_in_with, make_user):
    make_user("x@example.com", password=None, roles=["Crew"])
    client = sign_in_with("roles:read")
    html = client.get(ROLES_URL).get_data(as_text=True)
    assert "New role" not in html
    role = role_by_name("Crew")
    details = client.get(ROLES_URL + f"details/?id={role.id}").get_data(as_text=True)
    assert "Add member" not in details and "Delete" not in details
