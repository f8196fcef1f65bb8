"""Guessing second-factor and sign-in codes counts toward the same lockout as passwords."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import login
from tests.support.lockout import lock_state

PASSWORD = "correct horse battery"
pytestmark = pytest.mark.settings(
    CONSOLE_LOCKOUT_THRESHOLD=3, CONSOLE_LOCKOUT_BASE_WAIT=timedelta(minutes=5)
)


@pytest.fixture
def totp_user(app, make_user):
    """An account with an authenticator app as its second factor."""
    from flask_security.proxies import _security

    from console.extensions import db

    user = make_user("totp@example.com")
    user.tf_primary_method = "authenticator"
    user.tf_totp_secret = _security.totp_factory.generate_totp_secret()
    db.session.commit()
    return user


def _current_code(user) -> str:
    from flask_security.proxies import _security

    return _security.totp_factory.generate_totp_password(user.tf_totp_secret)


def _wrong_code(user) -> str:
    return f"{(int(_current_code(user)) + 1) % 1_000_000:06d}"


def _start(client, user):
    response = login(client, user.email, PASSWORD)
    assert response.status_code == 302 and "/tf-validate" in response.headers["Location"]


def test_wrong_authenticator_codes_lock_the_account(client, totp_user, no_wait):
    _start(client, totp_user)
    for _ in range(3):
        response = client.post("/tf-validate", data={"code": _wrong_code(totp_user)})
        assert response.status_code == 200
    assert lock_state(totp_user.id)[:2] == (3, 1)
    # The right code is refused while the lock runs, and nobody is signed in.
    client.post("/tf-validate", data={"code": _current_code(totp_user)})
    assert len(no_wait) == 1
    assert client.get("/verify").status_code == 302


def test_password_and_code_failures_share_one_counter(client, totp_user, no_wait):
    assert login(client, totp_user.email, "wrong password").status_code == 200
    _start(client, totp_user)
    assert client.post("/tf-validate", data={"code": _wrong_code(totp_user)}).status_code == 200
    assert lock_state(totp_user.id)[0] == 2
    assert login(client, totp_user.email, "wrong again").status_code == 200
    assert lock_state(totp_user.id)[:2] == (3, 1)


def test_right_code_resets_the_counter(client, totp_user, no_wait):
    _start(client, totp_user)
    client.post("/tf-validate", data={"code": _wrong_code(totp_user)})
    response = client.post("/tf-validate", data={"code": _current_code(totp_user)})
    assert response.status_code == 302
    assert lock_state(totp_user.id) == (0, 0, None)


def test_wrong_recovery_codes_count(client, totp_user, no_wait):
    from flask_security.proxies import _security

    from console.extensions import db

    codes = _security.mf_recovery_codes_util.create_recovery_codes(totp_user)
    db.session.commit()
    _start(client, totp_user)
    for _ in range(3):
        assert client.post("/mf-recovery", data={"code": "not-a-code"}).status_code == 200
    assert lock_state(totp_user.id)[:2] == (3, 1)
    client.post("/mf-recovery", data={"code": codes[0]})
    assert client.get("/verify").status_code == 302


def test_wrong_emailed_codes_count(client, make_user, outbox, no_wait):
    user = make_user("mailcode@example.com")
    from console.extensions import db

    user.tf_primary_method = "email"
    from flask_security.proxies import _security

    user.tf_totp_secret = _security.totp_factory.generate_totp_secret()
    db.session.commit()
    _start(client, user)
    for _ in range(3):
        assert client.post("/tf-validate", data={"code": "000000x"}).status_code == 200
    assert lock_state(user.id)[:2] == (3, 1)


def test_wrong_unified_signin_codes_count(client, make_user, outbox, no_wait):
    user = make_user("uscode@example.com")
    sent = client.post(
        "/us-signin/send-code",
        data={"identity": user.email, "chosen_method": "email", "submit_send_code": "Send"},
    )
    assert sent.status_code == 200
    for _ in range(3):
        client.post(
            "/us-signin", data={"identity": user.email, "passcode": "123456", "submit": "Sign In"}
        )
    assert lock_state(user.id)[:2] == (3, 1)
