"""The user's passkeys: registration through Flask-Security, provider names, rename, delete."""

from __future__ import annotations

import base64

import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.mfa.conftest import make_stale, register_key
from tests.mfa.softkey import ONEPASSWORD, SoftKey


def _keys(app):
    from console.extensions import db
    from console.models import WebAuthn

    db.session.expire_all()
    return list(db.session.scalars(sa.select(WebAuthn).order_by(WebAuthn.id)))


def test_registration_keeps_the_aaguid_and_names_the_provider(app, member_client, member, outbox):
    response = register_key(member_client, SoftKey(ONEPASSWORD), name="Work laptop")
    assert response.status_code == 200, response.get_data(as_text=True)
    (key,) = _keys(app)
    assert key.aaguid == ONEPASSWORD
    assert key.usage == "first"
    page = member_client.get("/account/passkeys").get_data(as_text=True)
    assert "Work laptop" in page
    assert "1Password" in page
    assert [m for m in outbox() if member.email in m.recipient_list()]


def test_an_authenticator_without_an_aaguid_is_unknown(app, member_client):
    register_key(member_client, SoftKey(), name="Plain key", usage="secondary")
    (key,) = _keys(app)
    assert key.aaguid is None
    page = member_client.get("/account/passkeys").get_data(as_text=True)
    assert "Plain key" in page and "Unknown" in page and "Second factor" in page


def test_no_page_shows_a_public_key_or_credential_id(app, member_client, signed_in_operator):
    register_key(member_client, SoftKey(ONEPASSWORD), name="Secret check")
    (key,) = _keys(app)
    forbidden = []
    for raw in (key.public_key, key.credential_id):
        forbidden += [
            base64.urlsafe_b64encode(raw).decode().rstrip("="),
            base64.b64encode(raw).decode().rstrip("="),
            raw.hex(),
        ]
    pages = [
        member_client.get("/account/passkeys"),
        member_client.get(f"/account/passkeys/{key.id}/rename"),
        member_client.get(f"/account/passkeys/{key.id}/delete"),
        member_client.get("/wan-register"),
        signed_in_operator.get("/admin/mfa/"),
        signed_in_operator.get(f"/admin/mfa/?user={key.user_id and 'member'}"),
        signed_in_operator.get(f"/admin/mfa/keys/{key.id}/remove"),
    ]
    for response in pages:
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        for secret in forbidden:
            assert secret not in body


def test_rename_inline_with_htmx(app, member_client):
    register_key(member_client, SoftKey(), name="Old name")
    (key,) = _keys(app)
    form = member_client.get(f"/account/passkeys/{key.id}/rename", headers={"HX-Request": "true"})
    assert "<html" not in form.get_data(as_text=True)
    assert 'name="name"' in form.get_data(as_text=True)
    done = member_client.post(
        f"/account/passkeys/{key.id}/rename",
        data={"name": "New name"},
        headers={"HX-Request": "true"},
    )
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and "<html" not in body
    assert "New name" in body and "data-announce" in body
    assert "HX-Request" in done.headers["Vary"]
    assert _keys(app)[0].name == "New name"


def test_rename_without_javascript_and_its_errors(app, member_client):
    register_key(member_client, SoftKey(), name="First")
    register_key(member_client, SoftKey(), name="Second", usage="secondary")
    first, second = _keys(app)
    page = member_client.get(f"/account/passkeys/{first.id}/rename")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    for bad in ("", "   ", "Second", "x" * 65, "bad<name>"):
        response = member_client.post(f"/account/passkeys/{first.id}/rename", data={"name": bad})
        assert response.status_code == 422, bad
        assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert [k.name for k in _keys(app)] == ["First", "Second"]
    done = member_client.post(f"/account/passkeys/{first.id}/rename", data={"name": "Renamed"})
    assert done.status_code == 302
    assert _keys(app)[0].name == "Renamed"


def test_delete_has_a_confirmation_step(app, member_client, member, outbox):
    register_key(member_client, SoftKey(), name="Doomed")
    (key,) = _keys(app)
    confirm = member_client.get(f"/account/passkeys/{key.id}/delete")
    assert confirm.status_code == 200 and "Doomed" in confirm.get_data(as_text=True)
    assert _keys(app)
    done = member_client.post(f"/account/passkeys/{key.id}/delete")
    assert done.status_code == 302
    assert _keys(app) == []
    assert any("Doomed" in m.body_text for m in outbox() if member.email in m.recipient_list())


def test_another_users_key_is_not_found(app, member_client, make_user):
    register_key(member_client, SoftKey(), name="Mine")
    (key,) = _keys(app)
    make_user("other@example.com", password="other password 1")
    other = app.test_client()
    login(other, "other@example.com", "other password 1")
    assert other.get(f"/account/passkeys/{key.id}/rename").status_code == 404
    assert (
        other.post(f"/account/passkeys/{key.id}/rename", data={"name": "Stolen"}).status_code == 404
    )
    assert other.post(f"/account/passkeys/{key.id}/delete").status_code == 404
    assert _keys(app)[0].name == "Mine"


def test_changes_need_a_fresh_sign_in(app, member_client):
    register_key(member_client, SoftKey(), name="Keep me")
    (key,) = _keys(app)
    make_stale(member_client)
    rename = member_client.post(f"/account/passkeys/{key.id}/rename", data={"name": "Changed"})
    assert rename.status_code == 302 and "/verify" in rename.headers["Location"]
    htmx = member_client.post(
        f"/account/passkeys/{key.id}/rename",
        data={"name": "Changed"},
        headers={"HX-Request": "true"},
    )
    assert "/verify" in htmx.headers["HX-Redirect"]
    delete = member_client.post(f"/account/passkeys/{key.id}/delete")
    assert "/verify" in delete.headers["Location"]
    assert [k.name for k in _keys(app)] == ["Keep me"]


def test_passkeys_page_needs_a_sign_in(client, app):
    response = client.get("/account/passkeys")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_security_center_shows_the_passkeys_section(app, member_client):
    if "account.security" not in app.view_functions:
        pytest.skip("the account feature is not installed")
    register_key(member_client, SoftKey(ONEPASSWORD), name="Centre key")
    body = member_client.get("/account/").get_data(as_text=True)
    assert "Centre key" in body and "1Password" in body
    assert "Manage passkeys and security keys" in body
