"""Creating and inviting users, editing with optimistic concurrency, operator notes."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login
from tests.users.conftest import BASE


def _invitation_path(outbox, email: str) -> str:
    messages = [m for m in outbox() if email in m.recipient_list()]
    assert messages, [m.subject for m in outbox()]
    link = re.search(r"https?://\S+/reset/\S+", messages[-1].body_text).group(0)
    return link.split("localhost", 1)[1]


def test_create_invites_and_the_link_sets_a_password(signed_in_operator, client, outbox, app):
    from console.accounts import ensure_role
    from console.extensions import db
    from console.models import Role, User

    role = ensure_role("Support", ["users:read"])
    db.session.commit()
    response = signed_in_operator.post(
        f"{BASE}new/",
        data={"email": "New.Person@Example.com", "name": "New Person", "roles": [str(role.id)]},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    user = User.query.filter_by(email="New.Person@example.com").one()
    assert user.password is None and user.invited_at is not None and user.confirmed_at is None
    assert [r.name for r in user.roles] == ["Support"]
    message = [m for m in outbox() if user.email in m.recipient_list()][-1]
    assert "New Person" in message.body_text
    assert message.body_html and "/reset/" in message.body_html
    path = _invitation_path(outbox, user.email)

    signed_in_operator.post("/logout")
    assert client.get(path).status_code == 200
    password = "a fresh invitee password 9"
    assert (
        client.post(path, data={"password": password, "password_confirm": password}).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(User, user.id).confirmed_at is not None
    assert login(client, user.email, password).status_code == 302
    assert Role.query.count() >= 1


def test_resend_invitation_and_refusal_once_accepted(signed_in_operator, make_user, outbox):
    invitee = make_user("invitee@example.com", password=None, confirmed=False)
    response = signed_in_operator.post(f"{BASE}{invitee.id}/invite/")
    assert response.status_code == 302
    assert len([m for m in outbox() if "invitee@example.com" in m.recipient_list()]) == 1
    member = make_user("member@example.com", password="member password 1")
    page = signed_in_operator.post(f"{BASE}{member.id}/invite/", follow_redirects=True)
    assert "already set a password" in page.get_data(as_text=True)
    assert not [m for m in outbox() if "member@example.com" in m.recipient_list()]


def test_create_rejects_bad_and_duplicate_input(signed_in_operator, make_user, outbox):
    make_user("taken@example.com")
    bad = signed_in_operator.post(f"{BASE}new/", data={"email": "not an email"})
    assert bad.status_code == 400
    assert "Enter a valid email address" in bad.get_data(as_text=True)
    duplicate = signed_in_operator.post(f"{BASE}new/", data={"email": "TAKEN@example.com"})
    assert duplicate.status_code == 400
    assert "already uses the email address" in duplicate.get_data(as_text=True)
    tags = signed_in_operator.post(
        f"{BASE}new/", data={"email": "t@example.com", "username": "<b>x</b>", "name": "<i>n</i>"}
    )
    html = tags.get_data(as_text=True)
    assert tags.status_code == 400
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<i>n</i>" not in html
    assert outbox() == []


def _edit_data(user, **changes):
    data = {
        "email": user.email,
        "name": user.name or "",
        "username": user.username or "",
        "locale": "",
        "timezone": "",
        "active": "y" if user.active else "",
        "version": str(user.edit_version),
        "roles": [str(r.id) for r in user.roles],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_edit_profile_and_roles_emits_a_redacted_diff(signed_in_operator, make_user, app):
    from console.core.signals import console_event
    from console.extensions import db
    from console.models import User

    events = []
    console_event.connect(lambda sender, **kw: events.append(kw), app, weak=False)
    user = make_user("edit.me@example.com", name="Before", roles=["Auditor"], permissions=[])
    response = signed_in_operator.post(
        f"{BASE}{user.id}/edit/",
        data=_edit_data(user, name="<em>After</em>", timezone="Europe/Paris", roles=[]),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    assert fresh.name == "<em>After</em>" and fresh.timezone == "Europe/Paris"
    assert fresh.roles == [] and fresh.edit_version == 2
    updated = [e for e in events if e["action"] == "admin.user.updated"]
    assert updated[0]["details"]["changes"]["name"] == ["Before", "<em>After</em>"]
    assert updated[0]["details"]["changes"]["roles"] == [["Auditor"], []]
    detail = signed_in_operator.get(f"{BASE}{user.id}/").get_data(as_text=True)
    assert "<em>After</em>" not in detail and "&lt;em&gt;After&lt;/em&gt;" in detail
    edit_page = signed_in_operator.get(f"{BASE}{user.id}/edit/").get_data(as_text=True)
    assert "<em>After</em>" not in edit_page


def test_stale_edit_is_refused_and_writes_nothing(signed_in_operator, make_user):
    from console.extensions import db
    from console.models import User

    user = make_user("race@example.com", name="Original")
    stale = _edit_data(user, name="Second editor")
    first = signed_in_operator.post(f"{BASE}{user.id}/edit/", data=_edit_data(user, name="First"))
    assert first.status_code == 302
    second = signed_in_operator.post(f"{BASE}{user.id}/edit/", data=stale)
    assert second.status_code == 409
    assert "changed by someone else" in second.get_data(as_text=True)
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    assert fresh.name == "First" and fresh.edit_version == 2
    stale_notes = signed_in_operator.post(
        f"{BASE}{user.id}/notes/", data={"notes": "late", "version": "1"}, follow_redirects=True
    )
    assert "changed by someone else" in stale_notes.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).notes is None


def test_notes_are_sanitized_and_shown_safely(signed_in_operator, make_user):
    from console.extensions import db
    from console.models import User

    user = make_user("noted@example.com")
    dirty = '<p>Call <b>first</b></p><script>alert(1)</script><a href="javascript:x()">y</a>'
    response = signed_in_operator.post(
        f"{BASE}{user.id}/notes/", data={"notes": dirty, "version": str(user.edit_version)}
    )
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(User, user.id).notes
    assert "<script>" not in stored and "javascript:" not in stored and "<b>first</b>" in stored
    page = signed_in_operator.get(f"{BASE}{user.id}/").get_data(as_text=True)
    assert "<b>first</b>" in page
    assert "<script>alert(1)</script>" not in page


def test_detail_renders_registered_sections(app, signed_in_operator, make_user, tmp_path):
    from jinja2 import ChoiceLoader, DictLoader

    from console.core import sections

    app.jinja_loader = ChoiceLoader(
        [
            DictLoader({"test/_section.html": "<p data-x>{{ user.email }} {{ extra }}</p>"}),
            app.jinja_loader,
        ]
    )
    sections.register(
        app,
        "user",
        sections.Section(
            "demo", "Demo section", "test/_section.html", lambda user: {"extra": "<u>extra</u>"}
        ),
    )
    user = make_user("sectioned@example.com")
    page = signed_in_operator.get(f"{BASE}{user.id}/").get_data(as_text=True)
    assert "Demo section" in page
    assert "sectioned@example.com &lt;u&gt;extra&lt;/u&gt;" in page


@pytest.mark.parametrize("url", ["{base}999999/", "{base}999999/edit/"])
def test_unknown_user_is_404(signed_in_operator, url):
    assert signed_in_operator.get(url.format(base=BASE)).status_code == 404


def test_detail_offers_only_the_actions_that_apply(signed_in_operator, make_user):
    from datetime import timedelta

    from flask_security import naive_utcnow

    active = make_user("fine@example.com")
    html = signed_in_operator.get(f"{BASE}{active.id}/").get_data(as_text=True)
    assert 'data-action="deactivate"' in html and 'data-action="activate"' not in html
    assert 'data-action="unlock"' not in html
    locked = make_user(
        "stuck@example.com", active=False, locked_until=naive_utcnow() + timedelta(minutes=5)
    )
    html = signed_in_operator.get(f"{BASE}{locked.id}/").get_data(as_text=True)
    assert 'data-action="activate"' in html and 'data-action="deactivate"' not in html
    assert 'data-action="unlock"' in html
