"""The banner on every page and every HTMX fragment, and the audit trail of what was done
while impersonating: both names on every event, the keyed chain intact."""

from __future__ import annotations

import re

import pytest

from tests.impersonation.conftest import audit_rows, details, start

BANNER = 'data-testid="impersonation-banner"'
SAYS = "Olive Operator is signed in as member@example.com."

FULL_PAGES = [
    ("/", 200),
    ("/account/", 200),
    ("/account/profile", 200),
    ("/account/sessions/", 200),
    ("/account/activity", 200),
    ("/account/passkeys", 200),
    ("/admin/users/", 403),
    ("/nowhere", 404),
    ("/change", 403),
]


def _banner(text: str) -> str:
    match = re.search(r'<div id="impersonation-banner".*?</form>', text, re.S)
    assert match, "no banner"
    return match.group(0)


@pytest.mark.parametrize(("path", "status"), FULL_PAGES)
def test_every_page_shows_who_is_signed_in_as_whom(impersonating, path, status):
    response = impersonating.get(path, follow_redirects=True)
    assert response.status_code == status, path
    text = response.get_data(as_text=True)
    assert text.count(BANNER) == 1, path
    banner = _banner(text)
    assert SAYS in banner
    assert 'action="/impersonation/stop"' in banner and 'method="post"' in banner
    assert 'name="csrf_token"' in banner
    assert "Stop impersonating" in banner
    assert "Ends in 15 minutes." in banner or "Ends in 14 minutes." in banner
    # Out of band only in fragments.
    assert "hx-swap-oob" not in text


def test_an_htmx_fragment_carries_the_banner_out_of_band(impersonating):
    response = impersonating.get("/account/sessions/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    text = response.get_data(as_text=True)
    assert "<html" not in text
    assert text.count(BANNER) == 1
    # Wrapped in a template so that it parses next to table rows too.
    assert re.search(r'<template>\s*<div id="impersonation-banner"[^>]*hx-swap-oob="true"', text)
    assert SAYS in _banner(text)


def test_an_operator_fragment_carries_it_too(signed_in_operator, support, member):
    assert start(signed_in_operator, support).status_code == 302
    rows = signed_in_operator.get("/admin/users/?q=mem", headers={"HX-Request": "true"})
    assert rows.status_code == 200
    text = rows.get_data(as_text=True)
    assert "member@example.com" in text
    assert "Olive Operator is signed in as support@example.com." in _banner(text)
    assert 'hx-swap-oob="true"' in text


def test_no_banner_without_an_impersonation(signed_in_operator, member_client):
    for client in (signed_in_operator, member_client):
        assert BANNER not in client.get("/account/sessions/").get_data(as_text=True)
        fragment = client.get("/account/sessions/", headers={"HX-Request": "true"})
        assert BANNER not in fragment.get_data(as_text=True)


def test_what_is_done_while_impersonating_names_both(signed_in_operator, operator, support, member):
    from console.audit import flows as audit_flows
    from console.extensions import db

    assert start(signed_in_operator, support).status_code == 302
    db.session.expire_all()
    notes = signed_in_operator.post(
        f"/admin/users/{member.id}/notes/",
        data={"notes": "<p>Called about the sessions page</p>", "version": member.edit_version},
    )
    assert notes.status_code == 302
    [row] = audit_rows("admin.user.notes_updated")
    # The account acted (its permissions were used); the operator is named beside it.
    assert (row.actor_id, row.actor_email) == (support.id, support.email)
    assert row.subject_id == member.id
    assert details(row)["impersonator"] == operator.email
    assert details(row)["impersonator_id"] == operator.id
    signed_in_operator.post("/impersonation/stop")
    # Events after the stop are the operator's own again.
    signed_in_operator.post(
        f"/admin/users/{member.id}/notes/",
        data={"notes": "<p>Follow-up</p>", "version": row and _version(member)},
    )
    later = audit_rows("admin.user.notes_updated")[-1]
    assert later.actor_id == operator.id and "impersonator" not in details(later)
    # Every event recorded along the way keeps the keyed chain intact.
    result = audit_flows.verify()
    assert result.ok, result.broken
    assert {"impersonation.started", "impersonation.ended"} <= {r.action for r in audit_rows()}


def _version(user) -> int:
    from console.extensions import db

    db.session.expire_all()
    return user.edit_version


def test_a_refusal_is_recorded_with_both_names(impersonating, operator, member):
    impersonating.get("/change")
    [row] = audit_rows("impersonation.refused")
    assert (row.actor_id, row.subject_id) == (operator.id, member.id)
    assert details(row)["endpoint"] == "security.change_password"
    assert details(row)["impersonator"] == operator.email


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
def test_start_and_stop_need_the_pages_csrf_token(client, operator, member):
    from tests.impersonation.conftest import OPERATOR_PASSWORD, REASON, signed_in_email

    login = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={"email": operator.email, "password": OPERATOR_PASSWORD, "csrf_token": _token(login)},
    )
    url = f"/admin/users/{member.id}/impersonate/"
    assert client.post(url, data={"reason": REASON}).status_code == 400
    assert signed_in_email(client) == operator.email
    page = client.get(url).get_data(as_text=True)
    started = client.post(url, data={"reason": REASON, "csrf_token": _token(page)})
    assert started.status_code == 302
    assert client.post("/impersonation/stop").status_code == 400
    assert signed_in_email(client) == member.email
    banner = _banner(client.get("/account/").get_data(as_text=True))
    assert (
        client.post("/impersonation/stop", data={"csrf_token": _token(banner)}).status_code == 302
    )
    assert signed_in_email(client) == operator.email
