"""Authenticator app: set-up, sign-in, replay protection and malformed codes."""

from __future__ import annotations

import pytest

from tests.account.helpers import is_signed_in, page_text, sign_out
from tests.mfa.helpers import code_for, enrol_totp, password_step, start_totp_setup
from tests.support.concurrency import simultaneous
from tests.support.events import actions


def _arabic_indic(code: str) -> str:
    return "".join(chr(0x0660 + int(d)) for d in code)


def _full_width(code: str) -> str:
    return "".join(chr(0xFF10 + int(d)) for d in code)


BAD_CODES = {
    "empty": lambda key: "",
    "spaces": lambda key: "   ",
    "too long": lambda key: code_for(key) + "1" * 200,
    "seven digits": lambda key: code_for(key) + "1",
    "arabic-indic digits": lambda key: _arabic_indic(code_for(key)),
    "full-width digits": lambda key: _full_width(code_for(key)),
    "letters": lambda key: "12ab56",
    "stale": lambda key: code_for(key, steps=-20),
}


def test_setup_shows_an_inline_svg_qr_code_and_the_key(member_client):
    response = member_client.post("/tf-setup", data={"setup": "authenticator"})
    body = page_text(response)
    assert response.status_code == 200
    assert '<svg role="img"' in body and 'class="qr-code"' in body
    assert 'data-testid="totp-key"' in body
    assert "<script>" not in body and " style=" not in body


def test_enrol_then_sign_in_with_a_code(member_client, member, events, outbox):
    key = enrol_totp(member_client)
    assert "mfa.totp.enabled" in actions(events)
    assert any("authenticator app was set up" in m.subject for m in outbox())
    sign_out(member_client)
    password_step(member_client, member.email)
    response = member_client.post("/tf-validate", data={"code": code_for(key, 1)})
    assert response.status_code == 302
    assert is_signed_in(member_client)


def test_first_factor_leads_to_recovery_codes(member_client):
    key, action = start_totp_setup(member_client)
    done = member_client.post(action, data={"code": code_for(key)})
    assert done.headers["Location"].endswith("/account/second-factor-added")
    follow = member_client.get(done.headers["Location"])
    assert follow.headers["Location"].endswith("/mf-recovery-codes")


def test_a_code_is_refused_the_second_time_at_sign_in(member_client, member):
    key = enrol_totp(member_client)
    sign_out(member_client)
    code = code_for(key, 1)
    password_step(member_client, member.email)
    assert member_client.post("/tf-validate", data={"code": code}).status_code == 302
    sign_out(member_client)
    password_step(member_client, member.email)
    again = member_client.post("/tf-validate", data={"code": code})
    assert again.status_code == 200
    assert "Invalid code" in page_text(again) or "invalid" in page_text(again).lower()
    assert not is_signed_in(member_client)
    # A later code still works.
    assert member_client.post("/tf-validate", data={"code": code_for(key, 2)}).status_code == 302


def test_the_setup_code_cannot_be_replayed_at_sign_in(member_client, member):
    key, action = start_totp_setup(member_client)
    code = code_for(key)
    assert member_client.post(action, data={"code": code}).status_code == 302
    sign_out(member_client)
    password_step(member_client, member.email)
    assert member_client.post("/tf-validate", data={"code": code}).status_code == 200
    assert not is_signed_in(member_client)


def test_an_accepted_code_is_refused_in_setup(member_client, member):
    key = enrol_totp(member_client)
    sign_out(member_client)
    password_step(member_client, member.email)
    assert member_client.post("/tf-validate", data={"code": code_for(key, 1)}).status_code == 302
    # Setting up again: a code for a step already used (with any secret) is refused.
    new_key, action = start_totp_setup(member_client)
    refused = member_client.post(action, data={"code": code_for(new_key, 1)})
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/tf-setup")
    from console.extensions import db
    from console.models import User

    db.session.expire_all()
    assert db.session.get(User, member.id).tf_totp_secret is not None


# Many wrong codes in a row: keep the lockout out of the way (it has its own tests).
@pytest.mark.settings(CONSOLE_LOCKOUT_THRESHOLD=1000)
def test_bad_codes_are_refused_at_sign_in(member_client, member):
    key = enrol_totp(member_client)
    sign_out(member_client)
    password_step(member_client, member.email)
    for kind, make in BAD_CODES.items():
        response = member_client.post("/tf-validate", data={"code": make(key)})
        assert response.status_code in (200, 400), (kind, page_text(response))
        assert not is_signed_in(member_client), kind
    assert member_client.post("/tf-validate", data={"code": code_for(key, 1)}).status_code == 302


@pytest.mark.settings(CONSOLE_LOCKOUT_THRESHOLD=1000)
def test_bad_codes_are_refused_in_setup(member_client, member):
    from console.extensions import db
    from console.models import User

    key, action = start_totp_setup(member_client)
    for kind, make in BAD_CODES.items():
        response = member_client.post(action, data={"code": make(key)})
        assert response.status_code in (200, 302, 400), (kind, page_text(response))
        db.session.expire_all()
        assert db.session.get(User, member.id).tf_primary_method is None, kind
    assert member_client.post(action, data={"code": code_for(key)}).status_code == 302


@pytest.mark.settings(CONSOLE_LOCKOUT_THRESHOLD=1000)
def test_bad_codes_are_refused_in_the_json_api(member_client, member):
    key = enrol_totp(member_client)
    sign_out(member_client)
    member_client.post("/login", json={"email": member.email, "password": "correct horse battery"})
    for kind, make in BAD_CODES.items():
        response = member_client.post("/tf-validate", json={"code": make(key)})
        assert response.status_code == 400, (kind, page_text(response))
        assert not is_signed_in(member_client), kind


def test_replay_check_is_atomic_when_both_reads_are_stale(app, member, monkeypatch):
    """Two workers that both read "no step used yet": the database lets only one win."""
    from flask_security.proxies import _security

    from console.extensions import db

    factory = _security.totp_factory
    secret = factory.generate_totp_secret()
    member.tf_totp_secret = secret
    db.session.commit()
    token = factory.generate_totp_password(secret)
    monkeypatch.setattr(type(factory), "get_last_counter", lambda self, user: None)
    first = factory.verify_totp(token, secret, member, window=120)
    second = factory.verify_totp(token, secret, member, window=120)
    db.session.commit()
    assert [first, second] == [True, False]


def test_two_concurrent_attempts_exactly_one_succeeds(app, member):
    from flask_security.proxies import _security

    from console.extensions import db

    factory = _security.totp_factory
    secret = factory.generate_totp_secret()
    member.tf_totp_secret = secret
    db.session.commit()
    token = factory.generate_totp_password(secret)
    results = simultaneous(
        app, member.id, lambda user: factory.verify_totp(token, secret, user, window=120)
    )
    assert results == [False, True]


def test_the_key_is_never_shown_after_setup(member_client):
    key = enrol_totp(member_client)
    pretty = " ".join(key[i : i + 4] for i in range(0, len(key), 4))
    pages = ["/tf-setup", "/account/", "/account/profile", "/mf-recovery-codes", "/us-setup"]
    for path in pages:
        body = page_text(member_client.get(path, follow_redirects=True))
        assert key not in body and pretty not in body, path
    as_json = member_client.get("/tf-setup", headers={"Accept": "application/json"})
    assert key not in page_text(as_json)


def test_turning_the_app_off_is_signalled_and_mailed(member_client, events, outbox):
    enrol_totp(member_client)
    response = member_client.post("/tf-setup", data={"setup": "disable"})
    assert response.status_code == 302
    assert "mfa.totp.disabled" in actions(events)
    assert any("authenticator app was removed" in m.subject for m in outbox())


def test_email_codes_as_the_second_factor(member_client, member, events, outbox):
    import re

    response = member_client.post("/tf-setup", data={"setup": "email"})
    assert response.status_code == 200
    mail = [m for m in outbox() if member.email in m.recipient_list()][-1]
    code = re.search(r"\b(\d{6})\b", mail.body_text).group(1)
    action = re.search(
        r'action="([^"]+)" method="post" name="two_factor_verify_code_form"', page_text(response)
    ).group(1)
    assert member_client.post(action, data={"code": code}).status_code == 302
    assert "mfa.email.enabled" in actions(events)
    assert member.tf_primary_method == "email"
