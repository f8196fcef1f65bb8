"""Operator MFA actions: permission, fresh re-authentication, a reason, the user's mail."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.mfa.conftest import make_stale, register_key
from tests.mfa.softkey import SoftKey

REASON = "Lost phone, verified by video call"


@pytest.fixture
def target(app, make_user):
    """A user with an authenticator app, a passkey, a security key and recovery codes."""
    from flask_security.proxies import _datastore, _security

    user = make_user("target@example.com", password="target password 1")
    client = app.test_client()
    login(client, user.email, "target password 1")
    register_key(client, SoftKey(), name="Phone", usage="first")
    register_key(client, SoftKey(), name="Yubi", usage="secondary")
    _datastore.tf_set(user, "authenticator", _security._totp_factory.generate_totp_secret())
    _security._mf_recovery_codes_util.create_recovery_codes(user)
    _datastore.commit()
    return user


def _keys_of(user):
    from console.extensions import db
    from console.models import WebAuthn

    db.session.expire_all()
    return list(db.session.scalars(sa.select(WebAuthn).where(WebAuthn.user_id == user.id)))


def _actions(user):
    key = _keys_of(user)[0]
    return {
        "remove_key": f"/admin/mfa/keys/{key.id}/remove",
        "reset_totp": f"/admin/mfa/users/{user.id}/reset-totp",
        "reset_all": f"/admin/mfa/users/{user.id}/reset",
        "break_glass": f"/admin/mfa/users/{user.id}/break-glass",
    }


def _unchanged(user, outbox_before, outbox):
    from console.extensions import db

    db.session.expire_all()
    assert len(_keys_of(user)) == 2
    assert user.tf_primary_method == "authenticator"
    assert len(user.mf_recovery_codes) == 10
    assert len(outbox()) == outbox_before


def test_each_action_without_a_fresh_sign_in_is_sent_to_re_authenticate(
    signed_in_operator, target, outbox
):
    before = len(outbox())
    make_stale(signed_in_operator)
    for name, url in _actions(target).items():
        page = signed_in_operator.get(url)
        assert page.status_code == 302, name
        assert "/verify?next=" in page.headers["Location"], name
        posted = signed_in_operator.post(url, data={"reason": REASON})
        assert posted.status_code == 302 and "/verify" in posted.headers["Location"], name
        htmx = signed_in_operator.post(url, data={"reason": REASON}, headers={"HX-Request": "true"})
        assert "/verify" in htmx.headers["HX-Redirect"], name
    _unchanged(target, before, outbox)


def test_after_re_authenticating_the_operator_returns_to_the_action(signed_in_operator, target):
    url = _actions(target)["reset_all"]
    make_stale(signed_in_operator)
    detour = signed_in_operator.get(url).headers["Location"]
    verified = signed_in_operator.post(detour, data={"password": "operator password 1"})
    assert verified.status_code == 302 and verified.headers["Location"].endswith(url)
    assert signed_in_operator.get(url).status_code == 200


def test_a_reason_is_required(signed_in_operator, target, outbox):
    before = len(outbox())
    for reason in ("", "   ", "x" * 501):
        for name, url in _actions(target).items():
            response = signed_in_operator.post(url, data={"reason": reason})
            assert response.status_code == 400, (name, reason)
            body = response.get_data(as_text=True)
            assert 'aria-describedby="reason-errors"' in body, (name, reason)
    _unchanged(target, before, outbox)


def test_forbidden_without_mfa_reset(app, make_user, target, outbox):
    make_user("reader@example.com", password="reader password 1", permissions=["mfa:read"])
    client = app.test_client()
    login(client, "reader@example.com", "reader password 1")
    before = len(outbox())
    assert client.get("/admin/mfa/").status_code == 200
    for name, url in _actions(target).items():
        assert client.get(url).status_code == 403, name
        assert client.post(url, data={"reason": REASON}).status_code == 403, name
    _unchanged(target, before, outbox)


def test_forbidden_without_mfa_read(app, make_user):
    make_user("plain@example.com", password="plain password 1")
    client = app.test_client()
    login(client, "plain@example.com", "plain password 1")
    assert client.get("/admin/mfa/").status_code == 403


def _mail_to(outbox, user):
    return [m for m in outbox() if user.email in m.recipient_list()]


def test_remove_one_key(signed_in_operator, operator, target, outbox, events):
    key = _keys_of(target)[0]
    before = len(_mail_to(outbox, target))
    response = signed_in_operator.post(f"/admin/mfa/keys/{key.id}/remove", data={"reason": REASON})
    assert response.status_code == 302
    assert [k.name for k in _keys_of(target)] == ["Yubi"]
    mails = _mail_to(outbox, target)[before:]
    assert len(mails) == 1 and REASON in mails[0].body_text and "Phone" in mails[0].body_text
    event = [e for e in events if e["action"] == "mfa.webauthn.removed"][0]
    assert event["actor"].id == operator.id and event["subject"].id == target.id
    assert event["details"]["reason"] == REASON


def test_reset_the_authenticator_app(signed_in_operator, target, outbox, events):
    from console.extensions import db

    response = signed_in_operator.post(
        f"/admin/mfa/users/{target.id}/reset-totp", data={"reason": REASON}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert target.tf_primary_method is None and target.tf_totp_secret is None
    assert len(_keys_of(target)) == 2
    assert REASON in _mail_to(outbox, target)[-1].body_text
    assert [e["details"]["reason"] for e in events if e["action"] == "mfa.totp.reset"] == [REASON]


def test_reset_all_mfa(signed_in_operator, target, outbox, events):
    from console.extensions import db

    response = signed_in_operator.post(
        f"/admin/mfa/users/{target.id}/reset", data={"reason": REASON}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert target.tf_primary_method is None
    assert not target.mf_recovery_codes
    assert _keys_of(target) == []
    mail = _mail_to(outbox, target)[-1]
    assert REASON in mail.body_text and "operator" in mail.body_text
    assert [e["action"] for e in events if e["action"] == "mfa.reset"] == ["mfa.reset"]


def test_reset_ends_the_users_sessions(app, signed_in_operator, make_user):
    from flask_security.proxies import _security

    if "console.sessions" not in app.extensions["console"].features:
        pytest.skip("the sessions feature is not installed")
    someone = make_user("codes.only@example.com", password="codes password 1")
    _security._mf_recovery_codes_util.create_recovery_codes(someone)
    user = app.test_client()
    assert login(user, someone.email, "codes password 1").status_code == 302
    assert user.get("/account/passkeys").status_code == 200
    done = signed_in_operator.post(f"/admin/mfa/users/{someone.id}/reset", data={"reason": REASON})
    assert done.status_code == 302
    assert user.get("/account/passkeys").status_code == 302


def test_an_operator_cannot_reset_their_own_factors_here(signed_in_operator, operator):
    response = signed_in_operator.post(
        f"/admin/mfa/users/{operator.id}/reset", data={"reason": REASON}
    )
    assert response.status_code == 400
    assert "account pages" in response.get_data(as_text=True)


def test_break_glass_code_is_shown_once_stored_hashed_and_works_once(
    app, signed_in_operator, target, outbox, events
):
    from console.extensions import db
    from console.mfa.models import BreakGlassCode

    issued = signed_in_operator.post(
        f"/admin/mfa/users/{target.id}/break-glass", data={"reason": REASON}
    )
    assert issued.status_code == 200
    assert issued.headers["Cache-Control"] == "no-store"
    body = issued.get_data(as_text=True)
    code = body.split('data-testid="break-glass-code">', 1)[1].split("<", 1)[0].strip()
    assert len(code) >= 20
    (record,) = db.session.scalars(sa.select(BreakGlassCode)).all()
    assert code not in record.code_digest and record.used_at is None
    assert REASON in _mail_to(outbox, target)[-1].body_text
    again = signed_in_operator.get(f"/admin/mfa/users/{target.id}/break-glass")
    assert code not in again.get_data(as_text=True)
    assert "mfa.breakglass.issued" in [e["action"] for e in events]

    user = app.test_client()
    assert "/tf-select" in login(user, target.email, "target password 1").headers["Location"]
    wrong = user.post("/mfa/break-glass", data={"code": "not-the-code"})
    assert wrong.status_code == 400
    done = user.post("/mfa/break-glass", data={"code": code})
    assert done.status_code == 302
    assert user.get("/account/passkeys").status_code == 200

    second = app.test_client()
    login(second, target.email, "target password 1")
    reused = second.post("/mfa/break-glass", data={"code": code})
    assert reused.status_code == 400
    assert second.get("/account/passkeys").status_code == 302


@pytest.mark.settings(CONSOLE_MFA_BREAKGLASS_TTL=__import__("datetime").timedelta(seconds=-1))
def test_an_expired_break_glass_code_fails(app, signed_in_operator, target):
    issued = signed_in_operator.post(
        f"/admin/mfa/users/{target.id}/break-glass", data={"reason": REASON}
    ).get_data(as_text=True)
    code = issued.split('data-testid="break-glass-code">', 1)[1].split("<", 1)[0].strip()
    user = app.test_client()
    login(user, target.email, "target password 1")
    assert user.post("/mfa/break-glass", data={"code": code}).status_code == 400


def test_break_glass_page_needs_a_password_first(client, app):
    response = client.post("/mfa/break-glass", data={"code": "whatever"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
