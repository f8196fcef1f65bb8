"""Linked identities on both databases: the account holder links a provider from the
security page (after a recent sign-in, through the provider) and unlinks it (never the last
way to sign in); an unlinked identity no longer signs in; re-authentication without a
password goes through the provider; operators see the links and remove one with a reason."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from tests.account.helpers import make_stale
from tests.conftest import MEMBER_PASSWORD, login
from tests.support.events import actions, flat
from tests.support.oidc import path_of

from .conftest import provider_round_trip, provider_sign_in


def _sub() -> str:
    return f"sub-{uuid.uuid4().hex[:12]}"


def _live_links(user_id: int) -> list[Any]:
    from console.extensions import db
    from console.identity.models import LinkedIdentity

    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(LinkedIdentity).where(
                LinkedIdentity.user_id == user_id, LinkedIdentity.unlinked_at.is_(None)
            )
        )
    )


def _flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [text for _, text in session.get("_flashes", [])]


def _signed_in_as(client) -> str | None:
    response = client.get("/api/me")
    return response.get_json()["email"] if response.status_code == 200 else None


@pytest.fixture
def member_client(client, member):
    assert login(client, member.email, MEMBER_PASSWORD).status_code == 302
    return client


def _link(client, oidc, sub: str) -> Any:
    return provider_round_trip(client, oidc, "/account/identities/corp/link", sub)


def _passwordless(make_user, oidc) -> tuple[Any, str]:
    """An invited account (no password) that signed in through the provider once."""
    user = make_user(f"invitee-{uuid.uuid4().hex[:6]}@example.com", password=None, confirmed=False)
    return user, oidc.person(_sub(), user.email)


# ---------------------------------------------------------------- linking


def test_the_security_page_offers_to_link_each_configured_provider(member_client):
    page = member_client.get("/account/").get_data(as_text=True)
    assert "Linked sign-in providers" in page
    assert "No sign-in provider is linked to your account." in page
    assert 'href="/account/identities/corp/link"' in page


def test_linking_needs_a_recent_sign_in(member_client):
    make_stale(member_client)
    response = member_client.get("/account/identities/corp/link")
    assert response.status_code == 302 and "/verify" in response.headers["Location"]
    # The flow asserts it too: a POST straight away is sent to re-authenticate, not on.
    response = member_client.post("/account/identities/corp/link")
    assert "/verify" in response.headers["Location"]


def test_linking_through_the_provider(member_client, member, oidc, outbox, events):
    sub = oidc.person(_sub(), "member.elsewhere@example.com")
    page = member_client.get("/account/identities/corp/link").get_data(as_text=True)
    assert "Continue with Corp ID" in page
    response = _link(member_client, oidc, sub)
    assert response.headers["Location"].endswith("/account/")
    [link] = _live_links(member.id)
    assert (link.provider, link.subject, link.email) == (
        "corp",
        sub,
        "member.elsewhere@example.com",
    )
    assert dict(flat(events))["identity.linked"]["how"] == "security_page"
    assert any("You can now sign in to your account with Corp ID." in m.body_text for m in outbox())
    page = member_client.get("/account/").get_data(as_text=True)
    assert "member.elsewhere@example.com" in page
    assert 'href="/account/identities/corp/link"' not in page
    # The provider now signs the member in, whatever its address.
    member_client.post("/logout")
    provider_sign_in(member_client, oidc, sub)
    assert _signed_in_as(member_client) == member.email


def test_a_provider_account_linked_to_someone_else_is_refused(
    member_client, member, oidc, make_user
):
    other = make_user("other@example.com")
    sub = oidc.person(_sub(), other.email)
    other_client = member_client.application.test_client()
    assert provider_sign_in(other_client, oidc, sub).status_code == 302
    _link(member_client, oidc, sub)
    assert any("already linked to another account" in text for text in _flashes(member_client))
    assert _live_links(member.id) == []


def test_an_answer_to_a_link_not_started_here_is_refused(member_client, member, oidc):
    sub = oidc.person(_sub(), "x@example.com")
    response = member_client.post("/account/identities/corp/link")
    with member_client.session_transaction() as session:
        session.pop("console_identity_link")
    member_client.get(path_of(oidc.authorize(response.headers["Location"], sub)))
    assert any("took too long or was not started here" in t for t in _flashes(member_client))
    assert _live_links(member.id) == []


def test_linking_an_unknown_provider_is_refused(member_client):
    response = member_client.get("/account/identities/nobody/link")
    assert response.headers["Location"].endswith("/account/")


# ---------------------------------------------------------------- unlinking


def test_unlinking_after_a_confirmation_and_the_next_sign_in_is_refused(
    member_client, member, oidc, outbox, events
):
    sub = oidc.person(_sub(), member.email)
    _link(member_client, oidc, sub)
    [link] = _live_links(member.id)
    page = member_client.get(f"/account/identities/{link.id}/unlink").get_data(as_text=True)
    assert "Unlink Corp ID?" in page
    response = member_client.post(f"/account/identities/{link.id}/unlink")
    assert response.headers["Location"].endswith("/account/")
    assert _live_links(member.id) == []
    assert "identity.unlinked" in actions(events)
    assert any("Corp ID can no longer be used" in m.body_text for m in outbox())
    # Its address is the member's, and addresses match at a first sign-in: an unlinked
    # identity is not matched again.
    member_client.post("/logout")
    response = provider_sign_in(member_client, oidc, sub)
    assert response.headers["Location"].endswith("/login")
    assert _signed_in_as(member_client) is None
    assert dict(flat(events))["identity.refused"]["reason"] == "unlinked"


def test_unlinking_needs_a_recent_sign_in(member_client, member, oidc):
    _link(member_client, oidc, oidc.person(_sub(), member.email))
    [link] = _live_links(member.id)
    make_stale(member_client)
    response = member_client.post(f"/account/identities/{link.id}/unlink")
    assert "/verify" in response.headers["Location"]
    assert len(_live_links(member.id)) == 1


def test_the_last_way_to_sign_in_cannot_be_unlinked(client, oidc, make_user):
    user, sub = _passwordless(make_user, oidc)
    assert provider_sign_in(client, oidc, sub).status_code == 302
    [link] = _live_links(user.id)
    page = client.get("/account/").get_data(as_text=True)
    assert "Your only way to sign in" in page
    assert f"/account/identities/{link.id}/unlink" not in page
    response = client.post(f"/account/identities/{link.id}/unlink")
    assert response.status_code == 400
    assert "is the only way you can sign in" in response.get_data(as_text=True)
    assert len(_live_links(user.id)) == 1


def test_someone_elses_link_cannot_be_unlinked(member_client, oidc, make_user):
    other = make_user("other@example.com")
    other_client = member_client.application.test_client()
    provider_sign_in(other_client, oidc, oidc.person(_sub(), other.email))
    [link] = _live_links(other.id)
    assert member_client.post(f"/account/identities/{link.id}/unlink").status_code == 404
    assert len(_live_links(other.id)) == 1


# ---------------------------------------------------------------- re-authentication


def test_reauthentication_without_a_password_goes_through_the_provider(client, oidc, make_user):
    user, sub = _passwordless(make_user, oidc)
    provider_sign_in(client, oidc, sub)
    make_stale(client)
    response = client.get("/account/profile")
    assert response.status_code == 200  # a GET shows the page; a change needs a fresh sign-in
    response = client.post("/account/profile", data={"name": "Ivy"})
    verify = response.headers["Location"]
    assert "/us-verify" in verify
    page = client.get(path_of(verify)).get_data(as_text=True)
    assert "Continue with Corp ID" in page
    assert 'action="/login/oauth-verify-start/corp?next=' in page
    before = time.time()
    response = provider_round_trip(
        client, oidc, "/login/oauth-verify-start/corp?next=/account/profile", sub
    )
    assert response.headers["Location"].endswith("/account/profile")
    with client.session_transaction() as session:
        assert session["fs_paa"] >= before
    response = client.post("/account/profile", data={"name": "Ivy", "locale": "", "timezone": ""})
    assert response.headers["Location"].endswith("/account/profile")


def test_a_provider_account_not_linked_to_you_does_not_confirm_it_is_you(client, oidc, make_user):
    user, sub = _passwordless(make_user, oidc)
    provider_sign_in(client, oidc, sub)
    make_stale(client)
    stranger = oidc.person(_sub(), "stranger@example.com")
    response = provider_round_trip(client, oidc, "/login/oauth-verify-start/corp", stranger)
    assert "/us-verify" in response.headers["Location"]
    assert any("not linked to your account" in text for text in _flashes(client))
    with client.session_transaction() as session:
        assert session["fs_paa"] < time.time() - 3000


def test_the_operators_verify_page_offers_the_provider_too(client, oidc, make_user):
    user, sub = _passwordless(make_user, oidc)
    provider_sign_in(client, oidc, sub)
    page = client.get("/verify").get_data(as_text=True)
    assert "Continue with Corp ID" in page


# ---------------------------------------------------------------- operators


def _linked_member(client, oidc, member) -> Any:
    other = client.application.test_client()
    provider_sign_in(other, oidc, oidc.person(_sub(), member.email))
    [link] = _live_links(member.id)
    return link


def test_operators_see_a_users_links_and_remove_one_with_a_reason(
    signed_in_operator, oidc, member, outbox, events
):
    link = _linked_member(signed_in_operator, oidc, member)
    page = signed_in_operator.get(f"/admin/users/{member.id}/").get_data(as_text=True)
    assert "Linked sign-in providers" in page and link.subject in page
    assert f"/admin/identities/{link.id}/remove" in page
    response = signed_in_operator.post(f"/admin/identities/{link.id}/remove", data={"reason": " "})
    assert response.status_code == 400
    assert "Give a reason" in response.get_data(as_text=True)
    assert len(_live_links(member.id)) == 1
    response = signed_in_operator.post(
        f"/admin/identities/{link.id}/remove", data={"reason": "Lost phone"}
    )
    assert response.headers["Location"].endswith(f"/admin/users/{member.id}/")
    assert _live_links(member.id) == []
    removed = dict(flat(events))["identity.removed"]
    assert removed["reason"] == "Lost phone" and removed["subject"].id == member.id
    mail = [m for m in outbox() if "Lost phone" in m.body_text]
    assert mail and "Corp ID can no longer be used" in mail[0].body_text
    # The removed identity no longer signs in.
    other = signed_in_operator.application.test_client()
    provider_sign_in(other, oidc, link.subject)
    assert _signed_in_as(other) is None


def test_an_operator_may_not_remove_a_link_of_an_account_that_outranks_them(
    helpdesk_client, oidc, operator
):
    link = _linked_member(helpdesk_client, oidc, operator)
    page = helpdesk_client.get(f"/admin/users/{operator.id}/").get_data(as_text=True)
    assert f"/admin/identities/{link.id}/remove" not in page
    response = helpdesk_client.post(
        f"/admin/identities/{link.id}/remove", data={"reason": "Because"}
    )
    assert response.status_code == 400
    assert len(_live_links(operator.id)) == 1


def test_without_users_write_the_page_is_forbidden(client, oidc, member, make_user):
    reader = make_user(
        "reader@example.com", password="reader password 1", permissions=["users:read"]
    )
    link = _linked_member(client, oidc, member)
    assert login(client, reader.email, "reader password 1").status_code == 302
    assert client.get(f"/admin/identities/{link.id}/remove").status_code == 403


def test_the_flow_asserts_the_rules_itself(app, oidc, member, helpdesk, operator, make_user):
    from console.core.policy import PolicyError
    from console.identity import flows

    client = app.test_client()
    link = _linked_member(client, oidc, operator)
    with pytest.raises(PolicyError):
        flows.remove(helpdesk, link, "Because")
    with pytest.raises(PolicyError):
        flows.remove(operator, link, "Not on myself here")
    other = _linked_member(client, oidc, member)
    with pytest.raises(flows.IdentityError):
        flows.remove(operator, other, "")
    flows.remove(operator, other, "Lost phone")
    assert _live_links(member.id) == []


def test_linked_identities_are_in_the_export_and_forgotten_with_the_account(app, oidc, member):
    from console.core.personal_data import registered
    from console.extensions import db

    link = _linked_member(app.test_client(), oidc, member)
    entry = next(entry for entry in registered() if entry.key == "linked_identities")
    [data] = entry.collect(member)
    assert (data["provider"], data["subject"], data["email"]) == (
        "corp",
        link.subject,
        member.email,
    )
    assert data["linked_at"].endswith("Z") and data["unlinked_at"] is None
    entry.erase(member)
    db.session.commit()
    assert entry.collect(member) == []
