"""One notifier: mail goes out after the commit, and a mail server outage never turns a
finished change into an error; the mail is kept and `flask console mail retry` sends it."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import login

MEMBER_PASSWORD = "member password 12"
LINK = "https://x.example/"


@pytest.fixture
def mail_down(monkeypatch):
    """The mail backend refuses every message, as an SMTP server that is down does."""
    from console.mail.backend import EmailBackend

    def refuse(self, messages):
        raise smtplib.SMTPException("421 service not available")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    return monkeypatch


def _kept():
    from console.core.notify import MailRetry
    from console.extensions import db

    db.session.expire_all()
    return list(db.session.scalars(sa.select(MailRetry).order_by(MailRetry.id)))


def _retry(app):
    return app.test_cli_runner().invoke(args=["console", "mail", "retry"])


def _to(outbox, email):
    return [m for m in outbox() if email in m.recipient_list()]


def test_operator_mfa_reset_completes_when_mail_fails(
    app, signed_in_operator, make_user, mail_down, outbox, caplog
):
    from flask_security.proxies import _datastore, _security

    from console.extensions import db

    user = make_user("totp.user@example.com", password="totp password 12")
    _datastore.tf_set(user, "authenticator", _security._totp_factory.generate_totp_secret())
    _datastore.commit()
    with caplog.at_level(logging.WARNING, logger="console.core.notify"):
        response = signed_in_operator.post(
            f"/admin/mfa/users/{user.id}/reset", data={"reason": "Lost phone, checked by video"}
        )
    assert response.status_code in (200, 302, 303), response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(user), user.id).tf_primary_method is None
    assert "kept for retry" in caplog.text
    kept = _kept()
    assert [k.recipient for k in kept] == [user.email]
    assert _to(outbox, user.email) == []

    mail_down.undo()
    result = _retry(app)
    assert result.exit_code == 0, result.output
    assert _kept() == []
    (mail,) = _to(outbox, user.email)
    assert "Lost phone, checked by video" in mail.body_text
    # Sent once: a second run finds nothing to send.
    assert _retry(app).exit_code == 0
    assert len(_to(outbox, user.email)) == 1


def test_invitation_completes_when_mail_fails(
    app, signed_in_operator, make_user, mail_down, outbox
):
    from console.extensions import db

    invitee = make_user("invitee@example.com", password=None, confirmed=False)
    response = signed_in_operator.post(f"/admin/users/{invitee.id}/invite/")
    assert response.status_code in (200, 302, 303)
    db.session.expire_all()
    assert db.session.get(type(invitee), invitee.id).invited_at is not None
    assert [k.template for k in _kept()] == ["users/invitation"]

    mail_down.undo()
    assert _retry(app).exit_code == 0
    (mail,) = _to(outbox, invitee.email)
    assert "/reset/" in mail.body_text
    assert _kept() == []


def test_password_change_completes_when_mail_fails(app, client, make_user, mail_down, outbox):
    from console.extensions import db

    member = make_user("changer@example.com", password=MEMBER_PASSWORD)
    assert login(client, member.email, MEMBER_PASSWORD).status_code == 302
    before = member.password_changed_at
    new = "a much better passphrase 42"
    response = client.post(
        "/change",
        data={"password": MEMBER_PASSWORD, "new_password": new, "new_password_confirm": new},
    )
    assert response.status_code in (200, 302, 303)
    db.session.expire_all()
    assert db.session.get(type(member), member.id).password_changed_at > before
    kept = _kept()
    assert kept and {k.recipient for k in kept} == {member.email}

    mail_down.undo()
    assert _retry(app).exit_code == 0
    assert len(_to(outbox, member.email)) == len(kept)
    assert _kept() == []
    client.post("/logout")
    assert login(client, member.email, new).status_code == 302


def test_retry_command_keeps_failing_mail_and_says_so(
    app, signed_in_operator, make_user, mail_down
):
    invitee = make_user("again@example.com", password=None, confirmed=False)
    signed_in_operator.post(f"/admin/users/{invitee.id}/invite/")
    result = _retry(app)
    assert result.exit_code == 1
    (kept,) = _kept()
    assert kept.attempts == 2 and "SMTPException" in kept.last_error


def test_a_successful_send_also_sends_kept_mail_that_is_due(
    app, signed_in_operator, make_user, mail_down, outbox
):
    from flask_security import naive_utcnow

    from console.extensions import db

    first = make_user("first@example.com", password=None, confirmed=False)
    signed_in_operator.post(f"/admin/users/{first.id}/invite/")
    (kept,) = _kept()
    kept.next_attempt_at = naive_utcnow()
    db.session.commit()

    mail_down.undo()
    second = make_user("second@example.com", password=None, confirmed=False)
    signed_in_operator.post(f"/admin/users/{second.id}/invite/")
    assert len(_to(outbox, second.email)) == 1
    assert len(_to(outbox, first.email)) == 1
    assert _kept() == []


def test_mail_waits_for_the_commit_and_a_rollback_drops_it(app, make_user, outbox):
    from console.core import notify
    from console.extensions import db

    user = make_user("waiting@example.com", name="Before")
    user.name = "After"
    notify.notify(user, "users/invitation", "Subject", link=LINK, within=timedelta(hours=1))
    assert _to(outbox, user.email) == []
    db.session.rollback()
    notify.deliver_ready()
    assert _to(outbox, user.email) == []

    user.name = "After"
    notify.notify(user, "users/invitation", "Subject", link=LINK, within=timedelta(hours=1))
    db.session.commit()
    assert _to(outbox, user.email) == []
    notify.deliver_ready()
    assert len(_to(outbox, user.email)) == 1
