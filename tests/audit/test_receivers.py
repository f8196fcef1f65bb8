"""Every signal becomes exactly one event with the right actor and subject."""

from __future__ import annotations

import json
import re

import flask_security.signals as fs
import pytest
import sqlalchemy as sa
from blinker import NamedSignal
from flask_security import naive_utcnow

from tests.conftest import login


def _details(event) -> dict:
    return json.loads(event.details)


def test_sign_in_records_one_login(client, make_user, stored_events):
    user = make_user("ann@example.com", password="ann password 123")
    assert login(client, user.email, "ann password 123").status_code == 302
    found = stored_events("user.login")
    assert [(e.action, e.actor_id, e.subject_id) for e in found] == [
        ("user.login", user.id, user.id)
    ]
    assert found[0].actor_email == "ann@example.com"
    assert found[0].request_id and found[0].ip == "127.0.0.1"
    assert _details(found[0]) == {"via": ["password"]}


def test_wrong_password_records_one_failure_with_the_subject(client, make_user, stored_events):
    user = make_user("bob@example.com", password="bob password 123")
    response = login(client, user.email, "not his password")
    assert response.status_code == 200
    found = stored_events("user.login")
    assert [(e.action, e.actor_id, e.subject_id) for e in found] == [
        ("user.login_failed", None, user.id)
    ]
    assert _details(found[0])["auth_type"] == "password"


def test_unknown_account_records_a_failure_without_changing_the_answer(
    client, make_user, stored_events
):
    user = make_user("carl@example.com", password="carl password 123")
    known = login(client, user.email, "wrong password 1")
    unknown = login(client, "nobody@example.com", "wrong password 1")
    assert known.status_code == unknown.status_code == 200

    def errors(response):
        return re.findall(r"fs-error-msg[^>]*>([^<]*)<", response.get_data(as_text=True))

    assert errors(known) == errors(unknown)
    found = stored_events("user.login_failed")
    assert len(found) == 2
    assert (found[1].subject_id, found[1].actor_id) == (None, None)
    assert _details(found[1])["identity"] == "nobody@example.com"


def test_an_empty_form_is_not_a_failed_sign_in(client, stored_events):
    client.post("/login", data={"email": "", "password": ""})
    assert stored_events() == []


def test_sign_out_records_one_logout(client, make_user, stored_events):
    user = make_user("dora@example.com", password="dora password 123")
    login(client, user.email, "dora password 123")
    client.post("/logout")
    found = stored_events("user.logout")
    assert [(e.actor_id, e.subject_id) for e in found] == [(user.id, user.id)]


def test_password_change_records_the_change_and_no_extra_sign_in(client, make_user, stored_events):
    user = make_user("eve@example.com", password="eve password 123")
    login(client, user.email, "eve password 123")
    response = client.post(
        "/change",
        data={
            "password": "eve password 123",
            "new_password": "a much newer password 9",
            "new_password_confirm": "a much newer password 9",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    changed = stored_events("user.password_changed")
    assert [(e.actor_id, e.subject_id) for e in changed] == [(user.id, user.id)]
    assert _details(changed[0]) == {"changes": {"password": ["[redacted]", "[redacted]"]}}
    assert len(stored_events("user.login")) == 1


def test_reset_records_request_and_reset(client, make_user, stored_events, outbox):
    user = make_user("finn@example.com", password="finn password 123")
    client.post("/reset", data={"email": user.email})
    requested = stored_events("user.password_reset_requested")
    assert [(e.actor_id, e.subject_id) for e in requested] == [(None, user.id)]
    link = re.search(r"/reset/[^\s\"'<>]+", outbox()[0].body_text).group(0)
    new = "fresh reset password 77"
    assert client.post(link, data={"password": new, "password_confirm": new}).status_code == 302
    reset = [e for e in stored_events() if e.action == "user.password_reset"]
    assert [(e.actor_id, e.subject_id) for e in reset] == [(user.id, user.id)]
    assert "token" not in json.dumps([e.details for e in stored_events()])


@pytest.mark.settings(SECURITY_REGISTERABLE=True)
def test_registration_records_the_new_account(client, stored_events):
    response = client.post(
        "/register",
        data={
            "email": "gina@example.com",
            "password": "gina password 12345",
            "password_confirm": "gina password 12345",
        },
    )
    assert response.status_code in (200, 302)
    found = stored_events("user.registered")
    assert len(found) == 1
    assert found[0].subject_email == "gina@example.com"
    assert found[0].actor_id == found[0].subject_id
    assert "gina password" not in found[0].details


def _signal_cases():
    """(signal, extra arguments, action, actor is the user?) for every Flask-Security signal."""
    return [
        (fs.user_authenticated, {"authn_via": ["password"]}, "user.login", True),
        (fs.user_failed_authn, {"auth_type": "password", "tfa": False}, "user.login_failed", False),
        (
            fs.user_registered,
            {"confirm_token": "t", "confirmation_token": "t", "form_data": {"password": "p"}},
            "user.registered",
            True,
        ),
        (
            fs.user_not_registered,
            {"existing_email": True, "existing_username": False, "form_data": {}},
            "user.register_existing",
            False,
        ),
        (fs.user_confirmed, {}, "user.confirmed", True),
        (
            fs.confirm_instructions_sent,
            {"token": "t", "confirmation_token": "t"},
            "user.confirm_instructions_sent",
            False,
        ),
        (fs.login_instructions_sent, {"login_token": "t"}, "user.login_link_sent", False),
        (fs.password_reset, {}, "user.password_reset", True),
        (fs.password_changed, {}, "user.password_changed", True),
        (
            fs.reset_password_instructions_sent,
            {"token": "t", "reset_token": "t"},
            "user.password_reset_requested",
            False,
        ),
        (fs.refresh_tracker_created, {"refresh_tracker": None}, "api.refresh_token.created", True),
        (
            fs.refresh_tracker_revoked,
            {"refresh_tracker": None, "refresh_errors": None},
            "api.refresh_token.revoked",
            False,
        ),
        (fs.tf_code_confirmed, {"method": "authenticator"}, "mfa.two_factor.confirmed", True),
        # Recorded by the MFA feature's flow, which names the factor (one fact, one event).
        (fs.tf_profile_changed, {"method": "authenticator"}, "mfa.totp.enabled", True),
        (fs.tf_disabled, {}, "mfa.two_factor.disabled", True),
        (
            fs.tf_security_token_sent,
            {"method": "email", "token": "123456", "login_token": "123456", "phone_number": None},
            "mfa.two_factor.code_sent",
            False,
        ),
        (
            fs.us_profile_changed,
            {"methods": ["email"], "delete": False},
            "mfa.unified.changed",
            True,
        ),
        (
            fs.us_security_token_sent,
            {
                "method": "email",
                "token": "123456",
                "login_token": "123456",
                "phone_number": None,
                "send_magic_link": False,
            },
            "mfa.unified.code_sent",
            False,
        ),
        (fs.wan_registered, {"name": "My key"}, "mfa.webauthn.registered", True),
        (fs.wan_deleted, {"name": "My key"}, "mfa.webauthn.removed", True),
        (
            fs.change_email_instructions_sent,
            {"new_email": "new@example.com", "token": "t"},
            "user.email_change_requested",
            True,
        ),
        (fs.change_email_confirmed, {"old_email": "old@example.com"}, "user.email_changed", True),
        (fs.username_recovery_email_sent, {}, "user.username_recovery_requested", False),
        (fs.username_changed, {"old_username": "before"}, "user.username_changed", True),
    ]


def test_each_flask_security_signal_records_exactly_one_event(app, make_user, stored_events):
    from console.audit.models import AuditEvent
    from console.extensions import db

    user = make_user("sig@example.com", password=None, username="siggy")
    problems = []
    for signal, extra, action, actor_is_user in _signal_cases():
        with app.test_request_context("/somewhere", headers={"User-Agent": "pytest"}):
            app.preprocess_request()
            signal.send(app, user=user, **extra)
            db.session.commit()
        # Other features may announce their own consequences of the same signal.
        found = [e for e in stored_events() if e.action == action]
        if len(found) != 1:
            problems.append((signal.name, f"{len(found)} events"))
            continue
        event = found[0]
        expected_actor = user.id if actor_is_user else None
        if (event.subject_id, event.actor_id, event.user_agent) != (
            user.id,
            expected_actor,
            "pytest",
        ):
            problems.append((signal.name, event.subject_id, event.actor_id, event.user_agent))
        if any(secret in event.details for secret in ("123456", '"t"', '"p"')):
            problems.append((signal.name, event.details))
        db.session.execute(sa.delete(AuditEvent))
        db.session.commit()
    assert problems == []


def test_unauthenticated_access_records_the_path(app, stored_events):
    from console.extensions import db

    with app.test_request_context("/change"):
        fs.user_unauthenticated.send(app)
        db.session.commit()
    found = stored_events()
    assert [(e.action, e.actor_id, e.subject_id) for e in found] == [
        ("access.unauthenticated", None, None)
    ]
    assert _details(found[0]) == {"path": "/change"}


def test_every_flask_security_signal_is_connected(app):
    from flask_login import user_logged_out

    from console.core.signals import console_event

    signals = [v for v in vars(fs).values() if isinstance(v, NamedSignal)]
    assert len(signals) >= 25
    missing = [s.name for s in signals if not s.has_receivers_for(app)]
    assert missing == []
    assert user_logged_out.has_receivers_for(app)
    assert console_event.has_receivers_for(app)


def test_operator_edit_records_a_diff_without_secrets(app, operator, make_user, stored_events):
    from console.core.signals import emit
    from console.extensions import db

    user = make_user("hal@example.com", name="Hal")
    emit(
        "admin.user.updated",
        actor=operator,
        subject=user,
        changes={
            "name": ["Hal", "Hal Nine"],
            "password": ["$argon2id$old", "$argon2id$new"],
            "tf_totp_secret": ["AAAA", "BBBB"],
            "fs_uniquifier": ["u1", "u2"],
        },
        recovery_codes=["one", "two"],
    )
    db.session.commit()
    (event,) = stored_events()
    assert (event.action, event.actor_id, event.subject_id) == (
        "admin.user.updated",
        operator.id,
        user.id,
    )
    assert event.actor_email == operator.email and event.subject_email == "hal@example.com"
    details = _details(event)
    assert details["changes"]["name"] == ["Hal", "Hal Nine"]
    for name in ("password", "tf_totp_secret", "fs_uniquifier"):
        assert details["changes"][name] == ["[redacted]", "[redacted]"]
    assert details["recovery_codes"] == "[redacted]"
    for secret in ("argon2", "AAAA", "BBBB", "u1", "one"):
        assert secret not in event.details


def test_a_rolled_back_action_leaves_no_event(app, operator, stored_events):
    from console.core.signals import emit
    from console.extensions import db

    emit("admin.user.updated", actor=operator, subject=operator, changes={"name": ["a", "b"]})
    db.session.rollback()
    db.session.commit()
    assert stored_events() == []


def test_events_keep_their_people_after_the_account_is_deleted(app, make_user, stored_events):
    from console.core.signals import emit
    from console.extensions import db

    user = make_user("ivy@example.com")
    user_id = user.id
    emit("admin.user.updated", subject=user, changes={"name": [None, "Ivy"]})
    db.session.commit()
    db.session.delete(user)
    db.session.commit()
    (event,) = stored_events()
    assert (event.subject_id, event.subject_email) == (user_id, "ivy@example.com")


def test_request_id_comes_from_the_header_or_is_generated(client, make_user, stored_events):
    user = make_user("jo@example.com", password="jo password 1234")
    response = client.post(
        "/login",
        data={"email": user.email, "password": "jo password 1234"},
        headers={"X-Request-ID": "req-42"},
    )
    assert response.headers["X-Request-ID"] == "req-42"
    assert stored_events("user.login")[0].request_id == "req-42"
    other = client.get("/login", headers={"X-Request-ID": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", other.headers["X-Request-ID"])


def test_created_at_is_utc_now(app, stored_events):
    from console.audit import flows
    from console.extensions import db

    before = naive_utcnow()
    flows.record("user.login")
    db.session.commit()
    assert before <= stored_events()[0].created_at <= naive_utcnow()
