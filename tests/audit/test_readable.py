"""The audit pages read as sentences: labels with descriptions, a role as the subject of a
role event, devices named instead of raw user-agent strings."""

from __future__ import annotations

import re

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_a_role_event_names_the_role_as_its_subject(signed_in_operator, operator):
    from console.roles import flows

    flows.create_role(
        operator, name="Helpdesk", description="", permissions=["users:read"], require_mfa=False
    )
    page = _text(signed_in_operator.get("/admin/audit/?action=admin.role"))
    row = re.search(r'<tr[^>]*data-action="admin.role.created".*?</tr>', page, re.S).group(0)
    assert "Helpdesk" in row and "nobody" not in row
    assert "Role created" in row
    # The code is shown once, beside its label; the description is the label's title.
    assert row.count("admin.role.created") == 2  # data-action and the code
    assert 'title="An operator created a role with its permissions."' in row


def test_the_detail_page_shows_label_description_and_device(
    client, signed_in_operator, operator, make_user, stored_events
):
    user = make_user("firefox@example.com", password="firefox password 1")
    other = client.application.test_client()
    other.post(
        "/login",
        data={"email": user.email, "password": "firefox password 1"},
        headers={"User-Agent": FIREFOX},
    )
    (event,) = [e for e in stored_events("user.login") if e.subject_id == user.id]
    page = _text(signed_in_operator.get(f"/admin/audit/{event.id}"))
    assert "Signed in" in page
    assert "The account holder signed in." in page
    assert "Firefox 128 on Windows" in page
    assert "Gecko/20100101" not in page


def test_activity_shows_labels_descriptions_and_devices(client, make_user):
    user = make_user("ua@example.com", password="ua password 12345")
    client.post(
        "/login",
        data={"email": user.email, "password": "ua password 12345"},
        headers={"User-Agent": FIREFOX},
    )
    page = _text(client.get("/account/activity", headers={"User-Agent": FIREFOX}))
    assert "Signed in" in page and "The account holder signed in." in page
    assert "Firefox 128 on Windows" in page
    assert "Gecko/20100101" not in page
    assert "user.login" not in page.replace('data-action="user.login"', "")


def test_an_undeclared_action_shows_its_code_once(signed_in_operator, operator, make_user):
    import warnings

    from console.audit import flows
    from console.extensions import db

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flows.record("legacy.thing_happened", actor=operator)
    db.session.commit()
    page = _text(signed_in_operator.get("/admin/audit/?action=legacy"))
    row = re.search(r'<tr[^>]*data-action="legacy.thing_happened".*?</tr>', page, re.S).group(0)
    assert row.count("legacy.thing_happened") == 2  # data-action and the code, once
