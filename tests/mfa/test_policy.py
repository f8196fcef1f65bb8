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
    for path in ("/", "/admin/outbox/", "/admin/mfa/", "/admin/mfa/users/1/reset"):
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
    gates = app.extensions["console"].gates
    gates[:] = [gate for gate in gates if gate.key != "mfa_enrolment"]
    with count_queries() as without_policy:
        client.get("/account/passkeys")
    assert len(with_policy) == len(without_policy)


def test_a_user_who_must_change_password_and_enrol_can_do_both(app, guarded):
    """Two gates hold one user: each lets them reach the other's pages, so no loop."""
    from console.extensions import db

    guarded.password_change_required = True
    db.session.commit()
    client = app.test_client()
    login(client, guarded.email, PASSWORD)
    # The first gate's page, then nothing but the two gates' pages.
    first = client.get("/")
    assert first.status_code == 302 and first.headers["Location"].endswith("/change")
    landed = client.get("/", follow_redirects=True)
    assert landed.status_code == 200 and landed.request.path == "/change"
    assert client.get("/admin/outbox/").headers["Location"].endswith("/change")
    assert client.get("/account/mfa-required").status_code == 200
    assert client.get("/account/passkeys").status_code == 200
    assert client.get("/change").status_code == 200

    # Enrol first: the password gate still holds, and still lets enrolment finish.
    assert register_key(client, SoftKey(), name="Guard key", usage="secondary").status_code == 200
    assert client.get("/").headers["Location"].endswith("/change")
    new = "a brand new password 9"
    done = client.post(
        "/change", data={"password": PASSWORD, "new_password": new, "new_password_confirm": new}
    )
    assert done.status_code == 302
    after = client.get("/", follow_redirects=True)
    assert after.status_code == 200
    assert after.request.path not in ("/change", "/account/mfa-required")


def test_changing_the_password_first_then_enrolling(app, guarded):
    from console.extensions import db

    guarded.password_change_required = True
    db.session.commit()
    client = app.test_client()
    login(client, guarded.email, PASSWORD)
    new = "a brand new password 9"
    done = client.post(
        "/change", data={"password": PASSWORD, "new_password": new, "new_password_confirm": new}
    )
    assert done.status_code == 302
    # The password gate is passed; the enrolment gate now sends everything to its page.
    following = client.get(done.headers["Location"], follow_redirects=True)
    assert following.status_code == 200 and following.request.path == "/account/mfa-required"
    assert client.get("/admin/outbox/").headers["Location"].endswith("/account/mfa-required")
    assert register_key(client, SoftKey(), name="Guard key", usage="secondary").status_code == 200
    assert client.get("/", follow_redirects=True).status_code == 200
