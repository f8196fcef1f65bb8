"""Starting and stopping: the operator becomes the account in a session of its own, the
account holder is told, and Stop (or the time limit, or the end of a session) brings the
operator's own session back."""

from __future__ import annotations

import time

import pytest

from tests.impersonation.conftest import (
    REASON,
    audit_rows,
    details,
    records_of,
    signed_in_email,
    start,
    stash,
)


def test_the_operator_is_signed_in_as_the_account(signed_in_operator, operator, member):
    own = records_of(operator)
    assert len(own) == 1
    response = start(signed_in_operator, member)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    assert signed_in_email(signed_in_operator) == member.email
    # A session of the account's own, marked as an operator's; the operator's stays live.
    [record] = records_of(member)
    assert record.auth_method == "impersonation" and record.ended_at is None
    assert [r.ended_at for r in records_of(operator)] == [None]
    kept = stash(signed_in_operator)
    assert kept is not None and kept["user"] == member.id and kept["operator"] == operator.id
    home = signed_in_operator.get("/", follow_redirects=True)
    assert "You are signed in as member@example.com" in home.get_data(as_text=True)


def test_the_start_is_audited_with_both_names_and_the_reason(impersonating, operator, member):
    [row] = audit_rows("impersonation.started")
    assert (row.actor_id, row.subject_id) == (operator.id, member.id)
    assert details(row)["reason"] == REASON
    assert details(row)["max_minutes"] == 15


def test_the_account_holder_is_told_by_mail(impersonating, member, outbox):
    [mail] = [m for m in outbox() if member.email in m.recipients]
    assert "An operator signed in as you" in mail.subject
    assert "Olive Operator, an operator, signed in to the console as you." in mail.body_text
    assert REASON in mail.body_text and REASON in (mail.body_html or "")


@pytest.mark.settings(CONSOLE_IMPERSONATION_NOTIFY=False)
def test_the_mail_can_be_turned_off(impersonating, member, outbox):
    assert [m for m in outbox() if member.email in m.recipients] == []
    assert len(audit_rows("impersonation.started")) == 1


def test_stop_brings_the_operators_own_session_back(impersonating, operator, member):
    own_before = records_of(operator)
    response = impersonating.post("/impersonation/stop")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/users/{member.id}/")
    assert signed_in_email(impersonating) == operator.email
    assert stash(impersonating) is None
    # The same session of the operator's (under a new id), the account's one ended.
    assert [r.key for r in records_of(operator)] == [r.key for r in own_before]
    assert records_of(operator)[0].ended_at is None
    [record] = records_of(member)
    assert record.ended_at is not None and record.end_reason == "signed_out"
    [ended] = audit_rows("impersonation.ended")
    assert (ended.actor_id, ended.subject_id) == (operator.id, member.id)
    assert details(ended)["reason"] == "stopped"
    page = impersonating.get(f"/admin/users/{member.id}/")
    text = page.get_data(as_text=True)
    assert "You are signed in as yourself again." in text
    assert 'data-testid="impersonation-banner"' not in text


def test_the_operators_freshness_comes_back_with_their_session(impersonating, operator):
    with impersonating.session_transaction() as session:
        assert "fs_paa" not in session
    paa = stash(impersonating)["sign_in"]["fs_paa"]
    impersonating.post("/impersonation/stop")
    with impersonating.session_transaction() as session:
        assert session["fs_paa"] == paa


def test_stop_without_an_impersonation_changes_nothing(signed_in_operator, operator):
    response = signed_in_operator.post("/impersonation/stop")
    assert response.status_code == 302
    assert signed_in_email(signed_in_operator) == operator.email
    assert audit_rows("impersonation.ended") == []


def _expire(client) -> None:
    from console.impersonation.flows import KEY

    with client.session_transaction() as session:
        kept = dict(session[KEY])
        kept["ends"] = time.time() - 1
        session[KEY] = kept


def test_the_time_limit_ends_it_on_the_next_request(impersonating, operator, member):
    _expire(impersonating)
    response = impersonating.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/users/{member.id}/")
    assert signed_in_email(impersonating) == operator.email
    [ended] = audit_rows("impersonation.ended")
    assert details(ended)["reason"] == "time_limit"
    [record] = records_of(member)
    assert record.end_reason == "absolute"
    page = impersonating.get(response.headers["Location"]).get_data(as_text=True)
    assert "reached its time limit" in page


def test_the_time_limit_answers_htmx_with_a_full_page_redirect(impersonating, member):
    _expire(impersonating)
    response = impersonating.get("/account/sessions/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].endswith(f"/admin/users/{member.id}/")


def test_the_time_limit_also_binds_the_session_itself(impersonating, member):
    from console.impersonation.flows import GRACE, max_age

    [record] = records_of(member)
    assert record.expires_at - record.created_at == max_age() + GRACE


def test_an_ended_impersonation_session_returns_the_operator(
    impersonating, operator, member, member_client
):
    # The member ends the operator's session as them from their own browser.
    [record] = [r for r in records_of(member) if r.auth_method == "impersonation"]
    ended = member_client.post(f"/account/sessions/{record.key}/end")
    assert ended.status_code == 302
    refused = impersonating.get("/account/")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    back = impersonating.get(refused.headers["Location"])
    assert back.status_code == 302
    assert back.headers["Location"].endswith(f"/admin/users/{member.id}/")
    assert signed_in_email(impersonating) == operator.email
    assert details(audit_rows("impersonation.ended")[0])["reason"] == "session_ended"


def test_when_the_operators_own_session_ended_stop_signs_out(impersonating, operator, member):
    from console.extensions import db
    from console.sessions import flows as session_flows

    [own] = [r for r in records_of(operator) if r.ended_at is None]
    session_flows.end_session(own, actor=None)
    db.session.commit()
    response = impersonating.post("/impersonation/stop")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert signed_in_email(impersonating) is None
    assert records_of(member)[0].ended_at is not None


def test_signing_out_ends_both_sessions(impersonating, operator, member):
    response = impersonating.post("/logout")
    assert response.status_code == 302
    assert signed_in_email(impersonating) is None
    assert stash(impersonating) is None
    assert all(r.ended_at is not None for r in records_of(operator) + records_of(member))
    [ended] = audit_rows("impersonation.ended")
    assert details(ended)["reason"] == "signed_out"
    # The sign-out, recorded as the account's, names the operator too.
    [logout] = audit_rows("user.logout")
    assert logout.actor_id == member.id
    assert details(logout)["impersonator"] == operator.email


def test_the_session_is_listed_with_the_accounts_own(impersonating, member_client):
    page = member_client.get("/account/sessions/").get_data(as_text=True)
    assert "Operator signed in as this user" in page


def test_it_ends_once_the_operator_may_no_longer_act_on_the_account(
    impersonating, operator, member
):
    from console.accounts import ensure_role
    from console.extensions import db

    # The member gains a permission the operator lacks (granted outside the console); the
    # member reads German, the operator is told in their own language.
    member.locale = "de"
    member.roles.append(ensure_role("Invoices", ["invoices:approve"]))
    db.session.commit()
    response = impersonating.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/users/{member.id}/")
    assert signed_in_email(impersonating) == operator.email
    assert details(audit_rows("impersonation.ended")[0])["reason"] == "not_allowed"
    page = impersonating.get(response.headers["Location"]).get_data(as_text=True)
    assert "holds permissions you do not hold (invoices:approve)" in page


def test_it_ends_once_the_operator_loses_the_permission(impersonating, operator):
    from console.extensions import db

    db.session.expire_all()
    for role in operator.roles:
        role.permissions = [p for p in role.get_permissions() if p != "users:impersonate"]
    db.session.commit()
    response = impersonating.get("/account/")
    assert response.status_code == 302
    assert signed_in_email(impersonating) == operator.email
    assert details(audit_rows("impersonation.ended")[0])["reason"] == "not_allowed"


def test_signing_out_after_the_time_limit_still_signs_out(impersonating, operator, member):
    _expire(impersonating)
    response = impersonating.post("/logout")
    assert response.status_code == 302 and "/admin/users" not in response.headers["Location"]
    assert signed_in_email(impersonating) is None
    assert all(r.ended_at is not None for r in records_of(operator) + records_of(member))
    [logout] = audit_rows("user.logout")
    assert details(logout)["impersonator"] == operator.email
