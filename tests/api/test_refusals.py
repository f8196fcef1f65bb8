"""Every API write refuses as the HTML form does: the same flow, the same rule, the same
words, with a stable code: missing permission, an outranking target, stale freshness, a
missing reason, a stale If-Match; and the session's writes need the CSRF header."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask_security import naive_utcnow

from tests.api.conftest import Api, problem
from tests.conftest import login


def _html_message(actor: Any, permission: str, target: Any) -> str:
    """What the HTML pages flash for the same refusal (they ask the same policy)."""
    from console.core import policy

    return str(policy.refusal(actor, permission, target=target))


def test_missing_permission(api_as: Any, make_user: Any, member: Any) -> None:
    reader = make_user(permissions=["users:read"])
    api = api_as(reader)
    body = problem(api.post(f"/users/{member.id}/actions/deactivate"), 403, "permission_denied")
    assert body["detail"] == _html_message(reader, "users:write", member)
    problem(api.post("/users", json={"email": "x@example.com"}), 403, "permission_denied")
    etag = api.get(f"/users/{member.id}").headers["ETag"]
    problem(
        api.patch(f"/users/{member.id}", json={"name": "n"}, headers={"If-Match": etag}),
        403,
        "permission_denied",
    )
    problem(
        api.post(f"/users/{member.id}/factors/reset", json={"reason": "r"}),
        403,
        "permission_denied",
    )


def test_a_target_who_outranks_the_caller(api_as: Any, make_user: Any) -> None:
    helpdesk = make_user(permissions=["users:read", "users:write", "mfa:read", "mfa:reset"])
    boss = make_user(permissions=["users:read", "users:write", "audit:read"])
    api = api_as(helpdesk)
    body = problem(api.post(f"/users/{boss.id}/actions/deactivate"), 403, "outranked")
    assert body["detail"] == _html_message(helpdesk, "users:write", boss)
    problem(api.post(f"/users/{boss.id}/factors/reset", json={"reason": "lost"}), 403, "outranked")
    problem(api.delete(f"/users/{boss.id}/sessions"), 403, "permission_denied")


def test_stale_freshness_needs_a_recent_token(api_as: Any, operator: Any, member: Any) -> None:
    from console.api.models import AccessToken
    from console.extensions import db

    api = api_as(operator)
    token = db.session.query(AccessToken).one()
    token.created_at = naive_utcnow() - timedelta(minutes=30)
    db.session.commit()
    body = problem(
        api.post(f"/users/{member.id}/factors/reset", json={"reason": "lost phone"}),
        403,
        "reauthentication_required",
    )
    assert body["detail"]
    # A token created just now (its creation needed a recent sign-in) is fresh enough.
    fresh = api_as(operator)
    assert (
        fresh.post(f"/users/{member.id}/factors/reset", json={"reason": "lost phone"}).status_code
        == 200
    )


def test_a_missing_reason(operator_api: Any, member: Any) -> None:
    body = problem(
        operator_api.post(f"/users/{member.id}/factors/reset", json={"reason": "  "}),
        422,
        "reason_required",
    )
    from console.mfa.flows import MfaError, clean_reason

    with pytest.raises(MfaError) as html:
        clean_reason("  ")
    assert body["detail"] == str(html.value)
    problem(operator_api.post(f"/users/{member.id}/factors/reset", json={}), 422, "invalid_request")
    problem(
        operator_api.post(f"/users/{member.id}/factors/break-glass", json={"reason": ""}),
        422,
        "reason_required",
    )


def test_a_stale_if_match(operator_api: Any, member: Any) -> None:
    etag = operator_api.get(f"/users/{member.id}").headers["ETag"]
    assert (
        operator_api.post(f"/users/{member.id}/actions/require_password_change").status_code == 200
    )
    body = problem(
        operator_api.patch(f"/users/{member.id}", json={"name": "n"}, headers={"If-Match": etag}),
        412,
        "stale",
    )
    from console.users.flows import UserFlowError

    assert body["detail"] == str(UserFlowError("stale", user=member.email))


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
def test_session_writes_need_the_csrf_header(client: Any, operator: Any, member: Any) -> None:
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert login(client, operator.email, "operator password 1", csrf_token=csrf).status_code == 302
    session_api = Api(client, None)
    assert session_api.get(f"/users/{member.id}").status_code == 200
    problem(session_api.post(f"/users/{member.id}/actions/deactivate"), 400, "csrf_failed")
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"',
        client.get("/account/tokens/").get_data(as_text=True),
    ).group(1)
    done = session_api.post(
        f"/users/{member.id}/actions/deactivate", headers={"X-CSRFToken": token}
    )
    assert done.status_code == 200, done.get_data(as_text=True)
