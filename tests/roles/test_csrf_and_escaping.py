"""Every role change needs the CSRF token; text typed into a role comes back escaped."""

from __future__ import annotations

import pytest

from console.accounts import ensure_role
from console.extensions import db
from tests.roles.conftest import ROLES_URL, csrf_token_from, member_ids, role_by_name

MARKUP = '<script>alert("x")</script><b onmouseover=1>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b onmouseover=1&gt;"


def _csrf_sign_in(client, email, password):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
def test_every_role_change_is_refused_without_the_csrf_token(client, operator, make_user, events):
    member = make_user("member@example.com", password=None, roles=["Crew"])
    make_user("joiner@example.com", password=None)
    ensure_role("Spare", [])
    db.session.commit()
    crew, spare = role_by_name("Crew"), role_by_name("Spare")
    _csrf_sign_in(client, operator.email, "operator password 1")
    attempts = [
        ("new/", {"name": "Forged", "permissions": ["users:read"]}),
        (f"edit/?id={crew.id}", {"name": "Renamed"}),
        (f"delete/?id={spare.id}", {"id": spare.id, "confirm": "yes"}),
        (
            f"delete/?id={crew.id}",
            {"id": crew.id, "confirm": "yes", "reassign_to": spare.id},
        ),
        (f"members/add/?id={crew.id}", {"email": "joiner@example.com"}),
        (f"members/remove/?id={crew.id}", {"user_id": member.id, "confirmed": "1"}),
    ]
    for path, data in attempts:
        response = client.post(ROLES_URL + path, data=data)
        assert response.status_code == 400, path
        response = client.post(ROLES_URL + path, data={**data, "csrf_token": "forged"})
        assert response.status_code == 400, path
    assert role_by_name("Forged") is None and role_by_name("Renamed") is None
    assert role_by_name("Spare") is not None
    assert member_ids(role_by_name("Crew")) == {member.id}
    assert events == []
    # The same request with the page's token goes through.
    token = csrf_token_from(client.get(ROLES_URL + "new/").get_data(as_text=True))
    created = client.post(
        ROLES_URL + "new/", data={"name": "Forged", "csrf_token": token, "permissions": []}
    )
    assert created.status_code == 302
    assert role_by_name("Forged") is not None


def test_markup_in_name_and_description_comes_back_escaped(signed_in_operator, make_user):
    response = signed_in_operator.post(
        ROLES_URL + "new/",
        data={"name": MARKUP[:80], "description": MARKUP, "permissions": ["users:read"]},
        follow_redirects=True,
    )
    assert response.status_code == 200
    role = role_by_name(MARKUP[:80])
    assert role is not None and role.description == MARKUP
    make_user("member@example.com", password=None, name=MARKUP, roles=[MARKUP[:80]])
    pages = {
        "details": signed_in_operator.get(ROLES_URL + f"details/?id={role.id}"),
        "list": signed_in_operator.get(ROLES_URL),
        "list fragment": signed_in_operator.get(ROLES_URL, headers={"HX-Request": "true"}),
        "members fragment": signed_in_operator.get(
            ROLES_URL + f"details/?id={role.id}", headers={"HX-Request": "true"}
        ),
        "edit": signed_in_operator.get(ROLES_URL + f"edit/?id={role.id}"),
        "delete": signed_in_operator.get(ROLES_URL + f"delete/?id={role.id}"),
    }
    for label, page in pages.items():
        html = page.get_data(as_text=True)
        assert page.status_code == 200, label
        assert "<script>alert" not in html, label
        assert "<b onmouseover" not in html, label
        assert "&lt;script&gt;" in html, label
    assert ESCAPED in pages["details"].get_data(as_text=True)


def test_markup_in_a_refusal_message_is_escaped(signed_in_operator):
    signed_in_operator.post(ROLES_URL + "new/", data={"name": MARKUP[:80]})
    again = signed_in_operator.post(ROLES_URL + "new/", data={"name": MARKUP[:80]})
    html = again.get_data(as_text=True)
    assert "already exists" in html
    assert "<script>alert" not in html
