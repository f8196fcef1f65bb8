"""Deleting one's own account: at once or after a grace period that signing in cancels; the
sessions and tokens it ends, the tombstone it leaves, the audit chain it keeps, and the
refusals (a stale sign-in, a wrong confirmation, the feature off, the last administrator)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import MEMBER_PASSWORD, login
from tests.privacy.conftest import is_signed_in, make_stale
from tests.support.events import actions, flat
from tests.support.keys import add_stored_key

IMMEDIATE = pytest.mark.settings(CONSOLE_ACCOUNT_DELETION="immediate")
OFF = pytest.mark.settings(CONSOLE_ACCOUNT_DELETION="off")


def _full_member(app: Flask, member: Any) -> None:
    """Give `member` what a deletion must take: a role, factors, notes."""
    from flask_security.proxies import _security

    from console.accounts import ensure_role
    from console.extensions import db

    member.roles.append(ensure_role("Readers", ["users:read"]))
    member.tf_primary_method = "authenticator"
    member.tf_totp_secret = _security._totp_factory.generate_totp_secret()
    member.notes = "<p>Called about invoices</p>"
    member.username = "mia"
    add_stored_key(member.id, "Blue key", usage="first")
    db.session.commit()


def _delete(client: Any, typed: str = "Member@Example.com") -> Any:
    return client.post("/account/delete", data={"confirmation": typed})


def _stored(model: Any, **where: Any) -> list[Any]:
    from console.extensions import db

    db.session.expire_all()
    stmt = sa.select(model).filter_by(**where)
    return list(db.session.scalars(stmt))


def _deletion(user_id: int) -> Any:
    from console.privacy.models import AccountDeletion

    found = _stored(AccountDeletion, user_id=user_id)
    return found[0] if found else None


def _verify() -> Any:
    from console.audit import flows as audit_flows

    return audit_flows.verify()


@IMMEDIATE
def test_immediate_deletion_ends_everything_and_leaves_a_tombstone(
    app: Flask, member: Any, member_client: Any, token_for: Any, events: Any, outbox: Any
) -> None:
    from console.account.models import KnownDevice
    from console.api import tokens
    from console.api.models import AccessToken
    from console.audit.models import AuditEvent
    from console.core.models import models
    from console.sessions.models import SessionRecord

    other_browser = app.test_client()
    assert login(other_browser, member.email, MEMBER_PASSWORD).status_code == 302
    _full_member(app, member)
    secret = token_for(member)
    uniquifier = member.fs_uniquifier
    page = member_client.get("/account/delete")
    assert page.status_code == 200 and "cannot be brought back" in page.get_data(as_text=True)

    done = _delete(member_client)
    assert done.status_code == 302 and "/login" in done.headers["Location"]
    assert "Your account was deleted" in member_client.get("/login").get_data(as_text=True)

    # Every browser is signed out, every token refused.
    assert not is_signed_in(member_client) and not is_signed_in(other_browser)
    assert tokens.authenticate(secret) is None
    assert login(app.test_client(), "member@example.com", MEMBER_PASSWORD).status_code != 302

    user = models().db.session.get(models().User, member.id)
    assert user.email == f"deleted-{member.id}@deleted.invalid"
    assert (user.name, user.username, user.notes, user.password) == (None, None, None, None)
    assert (user.tf_totp_secret, user.tf_primary_method, user.current_login_ip) == (
        None,
        None,
        None,
    )
    assert user.active is False and user.roles == [] and user.webauthn == []
    assert user.has_second_factor is False and user.fs_uniquifier != uniquifier
    assert _deletion(member.id).completed_at is not None
    assert _stored(AccessToken, user_id=member.id) == []
    assert _stored(KnownDevice, user_id=member.id) == []
    records = _stored(SessionRecord, user_id=member.id)
    assert len(records) == 2 and all(
        r.ended_at and r.ip is None and r.user_agent is None for r in records
    )

    ended = [d for a, d in flat(events) if a == "session.revoked"]
    assert len(ended) == 2 and {d["reason"] for d in ended} == {"account_deletion"}
    assert "api.token.revoked" in actions(events) and actions(events)[-1] == "account.deleted"

    # The trail still verifies, and its events still name the account by its id.
    result = _verify()
    assert result.ok and result.checked >= 5
    trail = _stored(AuditEvent, subject_id=member.id)
    assert {e.subject_email for e in trail if e.action == "user.login"} == {"member@example.com"}
    [last] = [e for e in trail if e.action == "account.deleted"]
    assert last.subject_email == user.email and last.actor_id == member.id

    [mail] = [m for m in outbox() if m.subject == "Your account was deleted"]
    assert mail.recipients == "member@example.com" and "Mia Member" in mail.body_text


@IMMEDIATE
def test_the_operators_page_shows_the_tombstone_and_audit_verify_passes(
    app: Flask, member: Any, member_client: Any, signed_in_operator: Any, audit_cli: Any
) -> None:
    assert _delete(member_client).status_code == 302
    page = signed_in_operator.get(f"/admin/users/{member.id}/")
    assert page.status_code == 200
    assert 'data-testid="tombstone"' in page.get_data(as_text=True)
    result = audit_cli("verify")
    assert result.exit_code == 0, result.output


def test_grace_period_ends_access_now_and_mails_the_date(
    app: Flask, member: Any, member_client: Any, token_for: Any, events: Any, outbox: Any
) -> None:
    from console.api import tokens

    secret = token_for(member)
    page = member_client.get("/account/delete")
    assert "signing in cancels the deletion" in page.get_data(as_text=True)

    done = _delete(member_client)
    assert done.status_code == 302
    assert "will be deleted on" in member_client.get("/login").get_data(as_text=True)
    assert not is_signed_in(member_client) and tokens.authenticate(secret) is None

    scheduled = _deletion(member.id)
    assert scheduled.completed_at is None
    assert timedelta(days=13) < scheduled.due_at - scheduled.requested_at <= timedelta(days=14)
    assert member.email == "member@example.com" and member.active
    assert actions(events)[-1] == "account.deletion.scheduled"
    [mail] = [m for m in outbox() if m.subject == "Your account will be deleted"]
    assert mail.recipients == "member@example.com" and "/login" in mail.body_text


def test_signing_in_during_the_grace_period_cancels_the_deletion(
    app: Flask, member: Any, member_client: Any, signed_in_operator: Any, events: Any, outbox: Any
) -> None:
    assert _delete(member_client).status_code == 302
    page = signed_in_operator.get(f"/admin/users/{member.id}/").get_data(as_text=True)
    assert 'data-testid="deletion-scheduled"' in page

    back = app.test_client()
    assert login(back, member.email, MEMBER_PASSWORD).status_code == 302
    assert "your account will not be deleted" in back.get("/account/").get_data(as_text=True)
    assert _deletion(member.id) is None
    cancelled = [d for a, d in flat(events) if a == "account.deletion.cancelled"]
    assert len(cancelled) == 1 and cancelled[0]["subject"].id == member.id
    assert "Your account will not be deleted" in [m.subject for m in outbox()]

    # Nothing is left for the workers to complete, even long after the grace period.
    from console.privacy import flows

    assert flows.complete_due(now=scheduled_far_future()) == 0
    assert _verify().ok


def scheduled_far_future() -> Any:
    from flask_security import naive_utcnow

    return naive_utcnow() + timedelta(days=60)


def test_the_workers_complete_deletions_whose_grace_period_ended(
    app: Flask, member: Any, member_client: Any, make_user: Any, events: Any, outbox: Any
) -> None:
    from console.core import notify
    from console.extensions import db
    from console.privacy import flows
    from console.privacy.models import AccountDeletion

    other = make_user("stays@example.com")
    assert _delete(member_client).status_code == 302
    periodic = app.extensions["console"].periodic_jobs["privacy.deletions.complete"]

    periodic.run()  # not due yet
    assert _deletion(member.id).completed_at is None

    scheduled = db.session.get(AccountDeletion, member.id)
    scheduled.due_at = scheduled.requested_at - timedelta(seconds=1)
    db.session.commit()
    periodic.run()
    notify.deliver_ready()
    db.session.expire_all()
    assert _deletion(member.id).completed_at is not None
    assert member.email.endswith("@deleted.invalid") and not member.active
    assert other.email == "stays@example.com"
    [deleted] = [d for a, d in flat(events) if a == "account.deleted"]
    assert deleted["actor"] is None and deleted["by"] == "schedule"
    assert "Your account was deleted" in [m.subject for m in outbox()]
    assert _verify().ok
    # Run again: nothing left, nothing done twice.
    assert flows.complete_due(now=scheduled_far_future()) == 0
    assert actions(events).count("account.deleted") == 1


def test_a_stale_sign_in_re_authenticates_first(
    member: Any, member_client: Any, events: Any
) -> None:
    make_stale(member_client)
    page = member_client.get("/account/delete")
    assert page.status_code == 302 and "/verify" in page.headers["Location"]
    done = _delete(member_client)
    assert done.status_code == 302 and "/verify" in done.headers["Location"]
    assert _deletion(member.id) is None and "account.deletion.scheduled" not in actions(events)


def test_the_flow_itself_refuses_a_stale_session(app: Flask, member: Any) -> None:
    from console.core.policy import PolicyError
    from console.privacy import flows

    with app.test_request_context(), pytest.raises(PolicyError) as refused:
        flows.delete_own_account(member, member.email)
    assert refused.value.code == "reauth"


def test_a_wrong_confirmation_changes_nothing(member: Any, member_client: Any, events: Any) -> None:
    for typed in ("someone@example.com", "member@example", " "):
        response = _delete(member_client, typed)
        assert response.status_code == 422
        assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert is_signed_in(member_client) and _deletion(member.id) is None
    assert not [a for a in actions(events) if a.startswith("account.delet")]


@OFF
def test_with_deletion_off_there_is_no_page_and_the_flow_refuses(
    app: Flask, member: Any, member_client: Any
) -> None:
    from console.privacy import flows

    assert member_client.get("/account/delete").status_code == 404
    assert _delete(member_client).status_code == 404
    center = member_client.get("/account/").get_data(as_text=True)
    assert 'data-link="privacy-data"' in center and 'data-link="delete-account"' not in center
    with pytest.raises(flows.PrivacyError) as refused:
        flows.delete_own_account(member, member.email)
    assert refused.value.code == "off" and _deletion(member.id) is None


@pytest.mark.parametrize("mode", ["grace", "immediate"])
def test_the_last_administrator_cannot_delete_themselves(
    app: Flask, operator: Any, signed_in_operator: Any, mode: str, events: Any
) -> None:
    from console.privacy import flows

    app.config["CONSOLE_ACCOUNT_DELETION"] = mode
    page = signed_in_operator.get("/account/delete")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="deletion-refused"' in text
    assert 'name="confirmation"' not in text
    refused = _delete(signed_in_operator, operator.email)
    assert refused.status_code == 403 and is_signed_in(signed_in_operator)
    with pytest.raises(flows.PrivacyError) as error:
        flows.delete_own_account(operator, operator.email)
    assert error.value.code == "last_admin"
    assert _deletion(operator.id) is None and operator.active
    assert not [a for a in actions(events) if a.startswith("account.delet")]


def test_a_scheduled_last_administrator_is_not_completed(
    app: Flask, operator: Any, make_user: Any, client: Any, events: Any
) -> None:
    from console.core.permissions import ADMIN_ROLE, all_permissions
    from console.extensions import db
    from console.privacy import flows

    second = make_user(
        "second@example.com",
        password="second admin pw 1",
        roles=[ADMIN_ROLE],
        permissions=all_permissions(),
    )
    assert login(client, second.email, "second admin pw 1").status_code == 302
    assert _delete(client, second.email).status_code == 302
    # Meanwhile the other administrator loses the role: the scheduled one is now the last.
    operator.roles = []
    db.session.commit()
    assert flows.complete_due(now=scheduled_far_future()) == 0
    assert _deletion(second.id).completed_at is None and second.active


def test_the_security_center_offers_the_download_and_the_deletion(member_client: Any) -> None:
    center = member_client.get("/account/").get_data(as_text=True)
    assert 'data-section="privacy"' in center
    assert 'href="/account/data"' in center and 'href="/account/delete"' in center
