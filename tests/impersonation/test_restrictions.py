"""What impersonating cannot reach: the account holder's password, email address, second
factors, recovery codes, tokens and sessions (refused with a reason, nothing changed,
recorded), and nothing beyond the account's own permissions."""

from __future__ import annotations

import pytest

from tests.conftest import MEMBER_PASSWORD
from tests.impersonation.conftest import audit_rows, details, records_of

REFUSED = "are theirs alone"

SENSITIVE_PAGES = [
    "/change",
    "/change-email",
    "/tf-setup",
    "/us-setup",
    "/wan-register",
    "/mf-recovery-codes",
    "/verify",
    "/us-verify",
    "/account/tokens/",
    "/account/data",
    "/account/delete",
    "/account/identities/example/link",
    "/account/identities/1/unlink",
]

SENSITIVE_POSTS = [
    (
        "/change",
        {
            "password": MEMBER_PASSWORD,
            "new_password": "a brand new passphrase 9",
            "new_password_confirm": "a brand new passphrase 9",
        },
    ),
    ("/change-email", {"email": "elsewhere@example.com"}),
    ("/tf-setup", {"setup": "email"}),
    ("/mf-recovery-codes", {}),
    ("/verify", {"password": MEMBER_PASSWORD}),
    ("/account/tokens/", {"name": "mine", "lifetime": "30"}),
    ("/account/sessions/end-others", {"confirmed": "1"}),
]


def _unchanged(member, member_client) -> None:
    from flask_security import verify_password

    from console.extensions import db

    db.session.expire_all()
    assert member.email == "member@example.com"
    assert verify_password(MEMBER_PASSWORD, member.password)
    assert member.tf_primary_method is None and not member.mf_recovery_codes
    # The member's own session still works.
    assert member_client.get("/account/").status_code == 200


@pytest.mark.parametrize("path", SENSITIVE_PAGES)
def test_sensitive_pages_are_refused_with_the_reason(impersonating, member, member_client, path):
    response = impersonating.get(path)
    assert response.status_code == 403, path
    text = response.get_data(as_text=True)
    assert REFUSED in text and "member@example.com" in text
    # The refusal is a page of the console's, with the banner and its way out.
    assert 'data-testid="impersonation-banner"' in text
    _unchanged(member, member_client)


@pytest.mark.parametrize(("path", "data"), SENSITIVE_POSTS)
def test_sensitive_changes_are_refused_and_change_nothing(
    impersonating, member, member_client, operator, path, data
):
    response = impersonating.post(path, data=data)
    assert response.status_code == 403, path
    _unchanged(member, member_client)
    [row] = audit_rows("impersonation.refused")
    assert (row.actor_id, row.subject_id) == (operator.id, member.id)
    assert details(row)["method"] == "POST"


def test_ending_the_accounts_sessions_is_refused(impersonating, member, member_client):
    own = [r for r in records_of(member) if r.auth_method != "impersonation"]
    assert own
    response = impersonating.post(f"/account/sessions/{own[0].key}/end")
    assert response.status_code == 403
    assert all(r.ended_at is None for r in records_of(member))


def test_an_htmx_request_reloads_its_page_with_the_reason(impersonating, member, member_client):
    own = [r for r in records_of(member) if r.auth_method != "impersonation"]
    response = impersonating.post(
        f"/account/sessions/{own[0].key}/end",
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/account/sessions/"},
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "http://localhost/account/sessions/"
    page = impersonating.get("/account/sessions/").get_data(as_text=True)
    assert REFUSED in page
    assert all(r.ended_at is None for r in records_of(member))
    foreign = impersonating.post(
        "/account/sessions/end-others",
        headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/"},
    )
    assert "evil" not in foreign.headers["HX-Redirect"]


def test_a_change_that_needs_a_recent_sign_in_is_out_of_reach(impersonating, member):
    """The impersonated session never counts as a recent sign-in of the account holder's:
    the detour to re-authenticate ends at a refused page."""
    from console.extensions import db

    response = impersonating.post(
        "/account/profile", data={"name": "Changed", "locale": "", "timezone": ""}
    )
    assert response.status_code == 302 and "verify?next=" in response.headers["Location"]
    assert impersonating.get(response.headers["Location"]).status_code == 403
    db.session.expire_all()
    assert member.name == "Mia Member"


def test_the_account_holders_pages_can_be_seen(impersonating):
    for path in ("/account/", "/account/sessions/", "/account/activity", "/account/passkeys"):
        assert impersonating.get(path).status_code == 200, path


def test_operator_pages_follow_the_accounts_permissions(impersonating):
    assert impersonating.get("/admin/users/").status_code == 403
    assert impersonating.get("/admin/audit/").status_code == 403
    assert impersonating.get("/api/v1/users").status_code == 403


def test_signing_out_stays_open(impersonating):
    assert impersonating.post("/logout").status_code == 302
