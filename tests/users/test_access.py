"""Every users page needs users:read, every change users:write, and every POST a CSRF token."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login
from tests.users.conftest import BASE

READ_PAGES = ["", "export.csv", "{id}/"]
WRITE_PAGES = ["new/", "{id}/edit/"]
POSTS = [
    ("new/", {"email": "csrf@example.com"}),
    ("{id}/edit/", {"email": "target@example.com", "version": "1", "active": "y"}),
    ("{id}/notes/", {"notes": "x", "version": "1"}),
    ("{id}/invite/", {}),
    ("action/", {"action": "deactivate", "rowid": "{id}", "confirm": "yes"}),
]


@pytest.fixture
def target(make_user):
    return make_user("target@example.com", password=None, confirmed=False)


def _url(path: str, target) -> str:
    return BASE + path.format(id=target.id)


def test_anonymous_is_sent_to_sign_in(client, target):
    response = client.get(BASE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _unchanged(target) -> None:
    from console.extensions import db
    from console.models import User

    db.session.expire_all()
    fresh = db.session.get(User, target.id)
    assert fresh.active and fresh.notes is None and fresh.edit_version == 1
    assert db.session.query(User).filter_by(email="csrf@example.com").count() == 0


def test_signed_in_without_permission_gets_403_everywhere(nobody, target):
    for path in READ_PAGES + WRITE_PAGES:
        assert nobody.get(_url(path, target)).status_code == 403, path
        assert nobody.get(_url(path, target), headers={"HX-Request": "true"}).status_code == 403
    for path, data in POSTS:
        data = {k: v.format(id=target.id) for k, v in data.items()}
        assert nobody.post(_url(path, target), data=data).status_code == 403, path
    _unchanged(target)


def test_reader_can_read_but_not_change(reader, target, outbox):
    for path in READ_PAGES:
        assert reader.get(_url(path, target)).status_code == 200, path
    for path in WRITE_PAGES:
        assert reader.get(_url(path, target)).status_code == 403, path
    for path, data in POSTS:
        data = {k: v.format(id=target.id) for k, v in data.items()}
        assert reader.post(_url(path, target), data=data).status_code == 403, path
    _unchanged(target)
    assert outbox() == []


def test_reader_sees_no_write_controls(reader, target):
    html = reader.get(BASE).get_data(as_text=True)
    assert "bulk-form" not in html and "/admin/users/new/" not in html
    detail = reader.get(_url("{id}/", target)).get_data(as_text=True)
    assert "/edit/" not in detail and 'name="action"' not in detail


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
def test_posts_without_csrf_token_are_rejected(client, operator, target, outbox):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    signed = client.post(
        "/login",
        data={"email": operator.email, "password": "operator password 1", "csrf_token": token},
    )
    assert signed.status_code == 302
    for path, data in POSTS:
        data = {k: v.format(id=target.id) for k, v in data.items()}
        assert client.post(_url(path, target), data=data).status_code == 400, path
        wrong = {**data, "csrf_token": "not-the-token"}
        assert client.post(_url(path, target), data=wrong).status_code == 400, path
    _unchanged(target)
    assert outbox() == []
    # The same request with the page's token goes through.
    detail = client.get(_url("{id}/", target)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', detail).group(1)
    done = client.post(_url("{id}/invite/", target), data={"csrf_token": token})
    assert done.status_code == 302
    assert len(outbox()) == 1


def test_secrets_never_appear(signed_in_operator, make_user):
    user = make_user(
        "secretive@example.com",
        password="secretive password 1",
        tf_totp_secret="SECRET-TOTP-VALUE",
        tf_primary_method="authenticator",
        us_totp_secrets='{"authenticator": "SECRET-US-VALUE"}',
        mf_recovery_codes=["SECRET-RECOVERY-CODE"],
        fs_webauthn_user_handle="SECRET-HANDLE",
    )
    pages = [
        BASE,
        f"{BASE}export.csv",
        f"{BASE}{user.id}/",
        f"{BASE}{user.id}/edit/",
        f"{BASE}?q=SECRET",
        f"{BASE}?q={user.fs_uniquifier[:8]}",
    ]
    for url in pages:
        html = signed_in_operator.get(url).get_data(as_text=True)
        for secret in (
            "SECRET-TOTP-VALUE",
            "SECRET-US-VALUE",
            "SECRET-RECOVERY-CODE",
            "SECRET-HANDLE",
            user.fs_uniquifier,
            user.password,
        ):
            assert secret not in html, (url, secret)
    # Search never matches a secret column.
    hx = signed_in_operator.get(
        BASE, query_string={"q": user.fs_uniquifier[:8]}, headers={"HX-Request": "true"}
    )
    assert "secretive@example.com" not in hx.get_data(as_text=True)


def test_nav_entry_for_readers_only(reader, client, make_user):
    assert 'data-nav="users.index_view"' in reader.get(BASE).get_data(as_text=True)
    reader.post("/logout")
    make_user("plain@example.com", password="plain password 12")
    login(client, "plain@example.com", "plain password 12")
    assert 'data-nav="users.index_view"' not in client.get("/change").get_data(as_text=True)
