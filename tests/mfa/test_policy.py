"""The require-MFA role policy: enrolment first, nothing else until a second factor exists."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.mfa.conftest import register_key
from tests.mfa.softkey import SoftKey

PASSWORD = "guarded password 1"


@pytest.fixture
def guarded(app, make_user):
    """A member of a role that requires MFA, with no second factor."""
    from console.extensions import db

    user = make_user("guarded@example.com", password=PASSWORD, roles=["Guarded"])
    user.roles[0].require_mfa = True
    db.session.commit()
    return user


def test_a_member_without_mfa_is_sent_to_enrolment(app, guarded):
    client = app.test_client()
    assert login(client, guarded.email, PASSWORD).status_code == 302
    for path in ("/", "/outbox/", "/admin/mfa/", "/admin/mfa/users/1/reset"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].endswith("/account/mfa-required"), path
    htmx = client.get("/", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"].endswith("/account/mfa-required")
    page = client.get("/account/mfa-required")
    assert page.status_code == 200 and 'data-testid="mfa-required"' in page.get_data(as_text=True)
    assert client.get("/account/passkeys").status_code == 200
    assert client.get("/tf-setup").status_code == 200
    static = client.get("/static/console/console.css")
    assert static.status_code == 200
    static.close()
    assert client.post("/logout").status_code == 302
    assert client.get("/account/passkeys").status_code == 302


def test_enrolling_lifts_the_block(app, guarded):
    client = app.test_client()
    login(client, guarded.email, PASSWORD)
    assert client.get("/").headers["Location"].endswith("/account/mfa-required")
    assert register_key(client, SoftKey(), name="Guard key", usage="secondary").status_code == 200
    response = client.get("/")
    assert not response.headers.get("Location", "").endswith("/account/mfa-required")
    with client.session_transaction() as session:
        assert "console_mfa_enrol" not in session


def test_a_member_with_mfa_or_a_user_without_the_role_is_not_flagged(app, guarded, make_user):
    from flask_security.proxies import _datastore, _security

    make_user("free@example.com", password=PASSWORD)
    free = app.test_client()
    login(free, "free@example.com", PASSWORD)
    with free.session_transaction() as session:
        assert "console_mfa_enrol" not in session
    _datastore.tf_set(guarded, "email", _security._totp_factory.generate_totp_secret())
    _datastore.commit()
    client = app.test_client()
    assert "/tf-validate" in login(client, guarded.email, PASSWORD).headers["Location"]
    with client.session_transaction() as session:
        assert "console_mfa_enrol" not in session


def test_unflagged_requests_pay_no_extra_query(app, make_user, count_queries):
    make_user("free@example.com", password=PASSWORD)
    client = app.test_client()
    login(client, "free@example.com", PASSWORD)
    client.get("/account/passkeys")
    with count_queries() as with_policy:
        client.get("/account/passkeys")
    app.before_request_funcs[None].remove(
        next(f for f in app.before_request_funcs[None] if f.__name__ == "enforce")
    )
    with count_queries() as without_policy:
        client.get("/account/passkeys")
    assert len(with_policy) == len(without_policy)
