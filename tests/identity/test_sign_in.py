"""Sign-in through an OpenID Connect provider (a local one, started by the tests), on both
databases: the account is found by the provider's `sub`; a first sign-in is linked by a
verified address or creates an account only as the policy says; refusals are sentences on
the sign-in page; the second factor still applies unless the policy says otherwise."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.events import actions, flat

from .conftest import provider_sign_in


def _sub() -> str:
    return f"sub-{uuid.uuid4().hex[:12]}"


def _links(user_id: int) -> list[Any]:
    from console.extensions import db
    from console.identity.models import LinkedIdentity

    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(LinkedIdentity).where(LinkedIdentity.user_id == user_id))
    )


def _signed_in_as(client) -> str | None:
    response = client.get("/api/me")
    return response.get_json()["email"] if response.status_code == 200 else None


def _flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [text for _, text in session.get("_flashes", [])]


def _last_login_details(user) -> dict:
    from console.audit.models import AuditEvent
    from console.extensions import db

    row = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "user.login", AuditEvent.subject_id == user.id)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).one()
    return json.loads(row.details)


def test_the_sign_in_page_offers_each_configured_provider(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'action="/login/oauthstart/corp"' in page
    assert "Sign in with Corp ID" in page


def test_a_verified_address_links_the_existing_account_at_the_first_sign_in(
    client, oidc, member, outbox, events
):
    sub = oidc.person(_sub(), member.email)
    response = provider_sign_in(client, oidc, sub)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _signed_in_as(client) == member.email
    [link] = _links(member.id)
    assert (link.provider, link.subject, link.email) == ("corp", sub, member.email)
    assert "identity.linked" in actions(events)
    linked = dict(flat(events))["identity.linked"]
    assert linked["how"] == "verified_address" and linked["provider"] == "corp"
    # The account holder is told their account can now be signed in to through the provider.
    assert any("Corp ID" in message.body_text for message in outbox())


def test_after_the_first_link_the_sub_finds_the_account_whatever_the_address(
    app, client, oidc, member
):
    sub = oidc.person(_sub(), member.email)
    assert provider_sign_in(client, oidc, sub).status_code == 302
    client.post("/logout")
    # The person's address at the provider changes: the link by `sub` still holds.
    oidc.person(sub, "someone-else@example.com")
    assert provider_sign_in(client, oidc, sub).status_code == 302
    assert _signed_in_as(client) == member.email
    # The trail names the provider each sign-in came through.
    assert _last_login_details(member)["provider"] == "corp"


def test_an_unverified_address_is_refused_with_a_sentence(client, oidc, member):
    sub = oidc.person(_sub(), member.email, verified=False)
    response = provider_sign_in(client, oidc, sub)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert _signed_in_as(client) is None
    assert any("did not confirm that the address" in text for text in _flashes(client))
    assert _links(member.id) == []


def test_an_address_without_the_verified_claim_is_unverified_by_default(client, oidc, member):
    sub = oidc.person(_sub(), member.email, verified=None)
    provider_sign_in(client, oidc, sub)
    assert _signed_in_as(client) is None and _links(member.id) == []


@pytest.mark.provider_policy(trust_email=True)
def test_a_provider_trusted_with_addresses_links_one_without_the_claim(
    client, oidc, member, make_user
):
    sub = oidc.person(_sub(), member.email, verified=None)
    assert provider_sign_in(client, oidc, sub).status_code == 302
    assert _signed_in_as(client) == member.email
    assert [link.subject for link in _links(member.id)] == [sub]
    # What it does say still counts: an address it calls unverified is refused.
    client.post("/logout")
    someone = make_user("someone@example.com")
    provider_sign_in(client, oidc, oidc.person(_sub(), someone.email, verified=False))
    assert _signed_in_as(client) is None and _links(someone.id) == []


@pytest.mark.settings(CONSOLE_OIDC_MATCH_EMAIL=False)
def test_without_address_matching_a_first_sign_in_is_refused(client, oidc, member, events):
    sub = oidc.person(_sub(), member.email)
    response = provider_sign_in(client, oidc, sub)
    assert response.headers["Location"].endswith("/login")
    assert _signed_in_as(client) is None
    assert any("is not linked to an account here" in text for text in _flashes(client))
    assert "identity.refused" in actions(events)


def test_a_look_alike_address_never_matches(client, oidc, member):
    # "member@examp1e.com" has the canonical key of "member@example.com".
    sub = oidc.person(_sub(), "member@examp1e.com")
    response = provider_sign_in(client, oidc, sub)
    assert response.headers["Location"].endswith("/login")
    assert _signed_in_as(client) is None
    assert _links(member.id) == []


def test_no_account_is_created_unless_the_policy_says_so(client, oidc):
    from console.accounts import find_user_by_email

    sub = oidc.person(_sub(), "newcomer@example.com")
    response = provider_sign_in(client, oidc, sub)
    assert response.headers["Location"].endswith("/login")
    assert find_user_by_email("newcomer@example.com") is None


@pytest.mark.settings(CONSOLE_OIDC_CREATE_ACCOUNTS=True)
def test_a_first_sign_in_creates_an_account_when_the_policy_allows(client, oidc, events):
    from console.accounts import find_user_by_email

    sub = oidc.person(_sub(), "newcomer@example.com", name="Nora Newcomer")
    assert provider_sign_in(client, oidc, sub).status_code == 302
    assert _signed_in_as(client) == "newcomer@example.com"
    user = find_user_by_email("newcomer@example.com")
    assert user.password is None and user.confirmed_at is not None
    assert user.name == "Nora Newcomer"
    assert [link.subject for link in _links(user.id)] == [sub]
    assert "identity.account_created" in actions(events)
    assert dict(flat(events))["identity.account_created"]["provider"] == "corp"


@pytest.mark.settings(CONSOLE_OIDC_CREATE_ACCOUNTS=True)
def test_an_unverified_address_creates_nothing(client, oidc):
    from console.accounts import find_user_by_email

    sub = oidc.person(_sub(), "unproven@example.com", verified=False)
    provider_sign_in(client, oidc, sub)
    assert find_user_by_email("unproven@example.com") is None


def test_a_deactivated_account_is_refused(client, oidc, make_user):
    from console.extensions import db

    user = make_user("leaver@example.com")
    sub = oidc.person(_sub(), user.email)
    assert provider_sign_in(client, oidc, sub).status_code == 302
    client.post("/logout")
    user.active = False
    db.session.commit()
    response = provider_sign_in(client, oidc, sub)
    assert response.headers["Location"].endswith("/login")
    assert _signed_in_as(client) is None


def test_an_account_with_a_second_factor_is_still_asked_for_it(client, oidc, make_user):
    from flask_security.proxies import _security

    user = make_user(
        "guarded@example.com",
        roles=["Guarded"],
        tf_primary_method="authenticator",
        tf_totp_secret=_security._totp_factory.generate_totp_secret(),
    )
    user.roles[0].require_mfa = True
    sub = oidc.person(_sub(), user.email)
    response = provider_sign_in(client, oidc, sub)
    assert "/tf-validate" in response.headers["Location"]
    assert _signed_in_as(client) is None


@pytest.mark.settings(CONSOLE_OIDC_SATISFIES_MFA=True)
def test_the_policy_may_count_a_provider_sign_in_as_multi_factor(client, oidc, make_user):
    from flask_security.proxies import _security

    from console.extensions import db

    user = make_user(
        "trusted@example.com",
        roles=["Trusted"],
        tf_primary_method="authenticator",
        tf_totp_secret=_security._totp_factory.generate_totp_secret(),
    )
    user.roles[0].require_mfa = True
    bare = make_user("bare@example.com", roles=["Trusted"])
    db.session.commit()
    sub = oidc.person(_sub(), user.email)
    response = provider_sign_in(client, oidc, sub)
    assert "/tf-validate" not in response.headers["Location"]
    assert _signed_in_as(client) == user.email
    client.post("/logout")
    # A member of a require-MFA role without a factor is not sent to enrol either.
    sub = oidc.person(_sub(), bare.email)
    provider_sign_in(client, oidc, sub)
    assert _signed_in_as(client) == bare.email
    assert client.get("/account/").status_code == 200


def test_a_password_sign_in_still_asks_for_the_second_factor_with_that_policy(
    client, oidc, make_user
):
    """The waiver is the provider's sign-in's own: a password sign-in is not affected."""
    from flask_security.proxies import _security

    from tests.conftest import login

    user = make_user(
        "both@example.com",
        password="both password 1",
        tf_primary_method="authenticator",
        tf_totp_secret=_security._totp_factory.generate_totp_secret(),
    )
    response = login(client, user.email, "both password 1")
    assert "/tf-validate" in response.headers["Location"]


def test_a_member_of_a_require_mfa_role_without_a_factor_must_enrol(client, oidc, make_user):
    from console.extensions import db

    user = make_user("enrol@example.com", roles=["Guarded"])
    user.roles[0].require_mfa = True
    db.session.commit()
    sub = oidc.person(_sub(), user.email)
    assert provider_sign_in(client, oidc, sub).status_code == 302
    assert client.get("/account/").headers["Location"].endswith("/account/mfa-required")


def test_only_the_providers_sign_in_page_leaves_the_site(client, oidc):
    """The console's last check on redirects lets through the one address it chose, and its
    CSP lets the sign-in form lead there."""
    csp = client.get("/login").headers["Content-Security-Policy"]
    assert f"form-action 'self' {oidc.url}" in csp
    response = client.post("/login/oauthstart/corp")
    assert response.headers["Location"].startswith(f"{oidc.url}/authorize?")


def test_a_redirect_off_the_site_the_console_did_not_choose_is_still_sent_home(app):
    from flask import redirect

    from console.core.redirects import choose_offsite

    with app.test_request_context("/"):
        choose_offsite("https://id.example.com/authorize?x=1")
        response = app.process_response(redirect("https://evil.example.com/"))
        assert response.headers["Location"] == "/"
        response = app.process_response(redirect("https://id.example.com/authorize?x=1"))
        assert response.headers["Location"] == "https://id.example.com/authorize?x=1"
