"""Email change (confirmed by the new address, told to the old) and password change."""

from __future__ import annotations

import json
import re

from tests.account.helpers import PASSWORD, page_text


def stored(action: str) -> list:
    """The audit events recorded under `action` (each fact is recorded once)."""
    import sqlalchemy as sa

    from console.audit.models import AuditEvent
    from console.extensions import db

    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def test_email_change_is_confirmed_by_the_new_address_and_told_to_the_old(
    member_client, member, events, outbox
):
    response = member_client.post("/change-email", data={"email": "mia@new.example.com"})
    assert response.status_code in (200, 302)
    to_new = [m for m in outbox() if "mia@new.example.com" in m.recipient_list()]
    assert len(to_new) == 1
    link = re.search(r"https?://[^\s\"'<>]*/change-email/[^\s\"'<>]+", to_new[0].body_text)
    assert len(stored("user.email_change_requested")) == 1
    confirm = member_client.get(link.group(0).split("localhost", 1)[1])
    assert confirm.status_code == 302
    from console.extensions import db

    db.session.expire_all()
    assert db.session.get(type(member), member.id).email == "mia@new.example.com"
    to_old = [m for m in outbox() if "member@example.com" in m.recipient_list()]
    assert any("email address of your account was changed" in m.subject for m in to_old)
    assert any("mia@new.example.com" in m.body_text for m in to_old)
    (changed,) = stored("user.email_changed")
    assert json.loads(changed.details)["changes"]["email"] == [
        "member@example.com",
        "mia@new.example.com",
    ]
    assert not [e for e in events if e["action"].startswith("account.email")]


def test_password_change_needs_the_current_password(member_client, member):
    response = member_client.post(
        "/change",
        data={
            "password": "not my password",
            "new_password": "a much better passphrase 42",
            "new_password_confirm": "a much better passphrase 42",
        },
    )
    assert response.status_code == 200 and "is-invalid" in page_text(response)


def test_weak_passwords_get_the_strength_feedback(member_client):
    response = member_client.post(
        "/change",
        data={
            "password": PASSWORD,
            "new_password": "password1",
            "new_password_confirm": "password1",
        },
    )
    body = page_text(response)
    assert response.status_code == 200
    assert "fs-error-msg" in body


def test_a_password_change_is_dated_and_signalled(member_client, member, events):
    from console.extensions import db

    before = member.password_changed_at
    response = member_client.post(
        "/change",
        data={
            "password": PASSWORD,
            "new_password": "a much better passphrase 42",
            "new_password_confirm": "a much better passphrase 42",
        },
    )
    assert response.status_code == 302, page_text(response)
    db.session.expire_all()
    assert db.session.get(type(member), member.id).password_changed_at > before
    assert len(stored("user.password_changed")) == 1
    assert not [e for e in events if e["action"].startswith("account.password")]


def test_a_password_reset_is_dated(client, member, outbox, events):
    from console.extensions import db

    before = member.password_changed_at
    client.post("/reset", data={"email": member.email})
    mail = [m for m in outbox() if member.email in m.recipient_list()][-1]
    path = re.search(r"https?://[^\s\"'<>]*(/reset/[^\s\"'<>]+)", mail.body_text).group(1)
    new = "another fine passphrase 7"
    assert client.post(path, data={"password": new, "password_confirm": new}).status_code == 302
    db.session.expire_all()
    assert db.session.get(type(member), member.id).password_changed_at > before
    assert len(stored("user.password_reset")) == 1
    assert not [e for e in events if e["action"].startswith("account.password")]
