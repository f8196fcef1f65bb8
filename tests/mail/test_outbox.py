"""Mail goes to the development outbox, where people and tests can read it."""

from __future__ import annotations

import re

from tests.conftest import login


def _link(body: str, fragment: str) -> str:
    match = re.search(r"https?://[^\s\"'<>]*" + re.escape(fragment) + r"[^\s\"'<>]*", body)
    assert match, body
    return match.group(0)


def test_password_reset_mail_lands_in_the_outbox_and_its_link_works(client, make_user, outbox):
    user = make_user("reset.me@example.com", password="old password 123")
    response = client.post("/reset", data={"email": user.email})
    assert response.status_code in (200, 302)
    messages = [m for m in outbox() if user.email in m.recipient_list()]
    assert len(messages) == 1
    link = _link(messages[0].body_text, "/reset/")
    path = link.split("localhost", 1)[1]
    form = client.get(path)
    assert form.status_code == 200
    new_password = "brand new password 456"
    done = client.post(path, data={"password": new_password, "password_confirm": new_password})
    assert done.status_code == 302
    client.post("/logout")
    assert login(client, user.email, "old password 123").status_code == 200
    assert login(client, user.email, new_password).status_code == 302


def test_unknown_address_gets_the_same_answer_and_no_mail(client, outbox):
    response = client.post("/reset", data={"email": "nobody@example.com"})
    assert response.status_code in (200, 302)
    assert outbox() == []


def test_outbox_page_needs_the_permission(client, make_user, signed_in_operator, outbox):
    user = make_user("someone@example.com")
    client.post("/reset", data={"email": user.email})
    page = signed_in_operator.get("/admin/outbox/")
    assert page.status_code == 200
    assert "someone@example.com" in page.get_data(as_text=True)
    message = outbox()[0]
    detail = signed_in_operator.get(f"/admin/outbox/{message.id}")
    assert "/reset/" in detail.get_data(as_text=True)


def test_outbox_is_forbidden_without_permission(client, make_user):
    make_user("plain@example.com", password="plain password 123")
    login(client, "plain@example.com", "plain password 123")
    assert client.get("/admin/outbox/").status_code == 403


def test_outbox_fragment_for_htmx(signed_in_operator):
    response = signed_in_operator.get("/admin/outbox/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]
