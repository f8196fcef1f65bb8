"""Who may impersonate whom: the permission, never a superior or oneself, an active account,
a fresh sign-in, a reason, never from inside another impersonation; the user's page offers
it only when the flow would accept it."""

from __future__ import annotations

import pytest

from tests.impersonation.conftest import (
    audit_rows,
    records_of,
    signed_in_email,
    start,
    stash,
)
from tests.mfa.conftest import make_stale


def _offered(client, user) -> bool:
    page = client.get(f"/admin/users/{user.id}/")
    assert page.status_code == 200
    return 'data-action="impersonate"' in page.get_data(as_text=True)


def _nothing_started(client, user, outbox) -> None:
    assert stash(client) is None
    assert [r for r in records_of(user) if r.auth_method == "impersonation"] == []
    assert audit_rows("impersonation.started") == []
    assert [m for m in outbox() if user.email in m.recipients] == []


def test_the_flow_refuses_by_the_one_rule(app, operator, support, member, make_user, helpdesk):
    from console.impersonation.flows import refusal

    assert refusal(operator, member) is None
    assert refusal(support, member) is None
    assert refusal(operator, support) is None
    assert refusal(support, operator).code == "outranked"
    assert refusal(operator, operator).code == "self"
    assert refusal(helpdesk, member).code == "permission"
    assert refusal(None, member).code == "no_session"
    gone = make_user("gone@example.com", active=False)
    assert refusal(operator, gone).code == "inactive"


def test_the_users_page_offers_it_only_when_allowed(
    signed_in_operator, operator, member, make_user, support_client, helpdesk
):
    gone = make_user("gone@example.com", active=False)
    assert _offered(signed_in_operator, member)
    assert not _offered(signed_in_operator, operator)
    assert not _offered(signed_in_operator, gone)
    assert _offered(support_client, member)
    assert not _offered(support_client, operator)


def test_without_the_permission_the_page_is_forbidden(helpdesk_client, member, outbox):
    assert not _offered(helpdesk_client, member)
    assert helpdesk_client.get(f"/admin/users/{member.id}/impersonate/").status_code == 403
    assert start(helpdesk_client, member).status_code == 403
    _nothing_started(helpdesk_client, member, outbox)


def test_a_superior_account_is_refused(support_client, support, operator, outbox):
    page = support_client.get(f"/admin/users/{operator.id}/impersonate/")
    assert page.status_code == 403
    text = page.get_data(as_text=True)
    assert 'data-testid="impersonation-refused"' in text and "<form" not in text.split("<main")[1]
    response = start(support_client, operator)
    assert response.status_code == 403
    assert signed_in_email(support_client) == support.email
    _nothing_started(support_client, operator, outbox)


def test_oneself_is_refused(signed_in_operator, operator, outbox):
    assert start(signed_in_operator, operator).status_code == 403
    _nothing_started(signed_in_operator, operator, outbox)


def test_an_inactive_account_is_refused(signed_in_operator, make_user, outbox):
    gone = make_user("gone@example.com", active=False)
    response = start(signed_in_operator, gone)
    assert response.status_code == 403
    assert "deactivated" in response.get_data(as_text=True)
    _nothing_started(signed_in_operator, gone, outbox)


def test_a_stale_sign_in_re_authenticates_first(signed_in_operator, member, outbox):
    make_stale(signed_in_operator)
    page = signed_in_operator.get(f"/admin/users/{member.id}/impersonate/")
    assert page.status_code == 302 and "/verify?next=" in page.headers["Location"]
    posted = start(signed_in_operator, member)
    assert posted.status_code == 302 and "/verify" in posted.headers["Location"]
    htmx = start(signed_in_operator, member, **{"HX-Request": "true"})
    assert "/verify" in htmx.headers["HX-Redirect"]
    _nothing_started(signed_in_operator, member, outbox)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_reason_is_required(signed_in_operator, member, outbox, reason):
    response = start(signed_in_operator, member, reason=reason)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Give a reason" in text or "Keep the reason under 500 characters." in text
    _nothing_started(signed_in_operator, member, outbox)


def test_the_page_asks_for_the_reason_with_a_csrf_token(signed_in_operator, member):
    page = signed_in_operator.get(f"/admin/users/{member.id}/impersonate/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'name="csrf_token"' in text and 'name="reason"' in text
    assert "Reason (sent to the user)" in text and "at most 15 minutes" in text


def test_impersonating_from_inside_an_impersonation_is_refused(
    signed_in_operator, support, member, outbox
):
    assert start(signed_in_operator, support).status_code == 302
    assert signed_in_email(signed_in_operator) == support.email
    page = signed_in_operator.get(f"/admin/users/{member.id}/impersonate/")
    assert page.status_code == 403
    assert "already signed in as another user" in page.get_data(as_text=True)
    assert start(signed_in_operator, member).status_code == 403
    assert not _offered(signed_in_operator, member)
    assert signed_in_email(signed_in_operator) == support.email
    assert [r for r in records_of(member) if r.auth_method == "impersonation"] == []
