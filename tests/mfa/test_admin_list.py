"""The operator's MFA list: filters, keyset pages, fragments, bad input, the user section."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template

from tests.mfa.softkey import ONEPASSWORD


@pytest.fixture
def keys(app, make_user):
    """Three users with keys created directly (the ceremony is tested elsewhere)."""
    from flask_security import naive_utcnow
    from flask_security.proxies import _datastore, _security

    from console.extensions import db

    now = naive_utcnow()
    made = {}
    owners = [
        ("ann@example.com", "first"),
        ("ben@example.com", "secondary"),
        ("bea@example.com", "first"),
    ]
    for index, (email, usage) in enumerate(owners):
        user = make_user(email, password=None)
        _datastore.create_webauthn(
            user,
            credential_id=bytes([index + 1]) * 32,
            public_key=b"\x01\x02" * 40,
            name=f"key-{email.split('@')[0]}",
            sign_count=0,
            usage=usage,
            device_type="multi_device",
            backup_state=usage == "first",
            transports=["usb", "nfc"],
            aaguid=ONEPASSWORD if usage == "first" else None,
        )
        made[email] = user
    db.session.commit()
    for user, age in zip(made.values(), (1, 40, 100), strict=True):
        user.webauthn[0].lastuse_datetime = now - timedelta(days=age)
    ben = made["ben@example.com"]
    _datastore.tf_set(ben, "authenticator", _security._totp_factory.generate_totp_secret())
    _security._mf_recovery_codes_util.create_recovery_codes(ben)
    db.session.commit()
    return made


def _rows(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_every_key_with_its_details(signed_in_operator, keys):
    body = _rows(signed_in_operator.get("/admin/mfa/"))
    for email in keys:
        assert email in body
    assert "1Password" in body and "usb, nfc" in body
    assert "Second factor" in body and "Sign-in without password" in body
    assert "Synced (backed up)" in body


FILTERS = [
    ("method=secondary", ["ben@"], ["ann@", "bea@"]),
    ("method=first", ["ann@", "bea@"], ["ben@"]),
    ("user=BE", ["ben@", "bea@"], ["ann@"]),
    ("unused=30", ["ben@", "bea@"], ["ann@"]),
    ("unused=60&user=b", ["bea@"], ["ann@", "ben@"]),
    ("method=authenticator", ["ben@"], ["ann@", "bea@"]),
    ("method=recovery", ["ben@"], ["ann@", "bea@"]),
    ("method=email", [], ["ann@", "bea@", "ben@"]),
]
BAD_FILTERS = ["method=nonsense", "unused=-3", "unused=abc", "user=" + "x" * 300, "before=zz"]


def test_filters(signed_in_operator, keys):
    for query, present, absent in FILTERS:
        headers = {"HX-Request": "true"}
        body = _rows(signed_in_operator.get(f"/admin/mfa/?{query}", headers=headers))
        for text in present:
            assert text in body, query
        for text in absent:
            assert text not in body, query


def test_bad_filters_are_explained_not_fatal(signed_in_operator, keys):
    for query in BAD_FILTERS:
        response = signed_in_operator.get(f"/admin/mfa/?{query}")
        assert response.status_code == 200, query
        if "before" not in query:
            assert 'aria-invalid="true"' in response.get_data(as_text=True), query


@pytest.mark.settings(CONSOLE_PAGE_SIZE=2)
def test_keyset_pages(signed_in_operator, keys):
    first = _rows(signed_in_operator.get("/admin/mfa/"))
    assert "bea@" in first and "ben@" in first and "ann@" not in first
    link = first.split('id="mfa-more"', 1)[1].split('href="', 1)[1].split('"', 1)[0]
    assert "before=" in link
    second = signed_in_operator.get(link.replace("&amp;", "&"), headers={"HX-Request": "true"})
    body = _rows(second)
    assert "<html" not in body and "ann@" in body and "bea@" not in body
    assert "HX-Request" in second.headers["Vary"]


def test_the_user_detail_section(app, signed_in_operator, keys):
    from console.core import sections
    from console.models import User

    signed_in_operator.get("/admin/mfa/")
    with app.test_request_context():
        from flask_login import login_user

        operator = User.query.filter_by(email="operator@example.com").one()
        login_user(operator)
        (section,) = [s for s in sections.visible("user") if s.key == "mfa"]
        ben = keys["ben@example.com"]
        html = render_template(section.template, **section.context(ben))
    assert "key-ben" in html and "Reset authenticator app" in html
    assert "Issue a one-time recovery code" in html
    assert f"/admin/mfa/users/{ben.id}/reset" in html


def test_the_section_on_the_users_detail_page(app, signed_in_operator, keys):
    if "users.user_view" not in app.view_functions:
        pytest.skip("the users feature is not installed")
    ben = keys["ben@example.com"]
    page = signed_in_operator.get(f"/admin/users/{ben.id}/")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Multi-factor authentication" in body and "key-ben" in body
    reset = signed_in_operator.post(
        f"/admin/mfa/users/{ben.id}/reset", data={"reason": "Lost every device"}
    )
    assert reset.headers["Location"].endswith(f"/admin/users/{ben.id}/")
