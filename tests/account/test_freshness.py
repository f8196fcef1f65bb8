"""Every change to an account's profile or email address needs a recent sign-in (its second
factors: tests/mfa/test_freshness.py)."""

from __future__ import annotations

import pytest

from tests.account.helpers import PASSWORD, make_stale

CHANGES = [
    ("/account/profile", {"name": "Changed", "locale": "", "timezone": ""}),
    ("/change-email", {"email": "elsewhere@example.com"}),
]


@pytest.mark.parametrize(("path", "data"), CHANGES)
def test_a_stale_sign_in_is_sent_to_reauthenticate(member_client, member, events, path, data):
    make_stale(member_client)
    response = member_client.post(path, data=data)
    assert response.status_code == 302
    assert "verify" in response.headers["Location"]
    htmx = member_client.post(path, data=data, headers={"HX-Request": "true"})
    assert "verify" in htmx.headers["HX-Redirect"]
    assert "next=" in htmx.headers["HX-Redirect"]
    assert events == []


def test_after_reauthenticating_the_change_goes_through(member_client, member):
    make_stale(member_client)
    redirect = member_client.post("/account/profile", data={"name": "Later"})
    verify_url = redirect.headers["Location"]
    done = member_client.post(verify_url, data={"passcode": PASSWORD, "submit": "Sign in"})
    assert done.status_code == 302, done.get_data(as_text=True)
    again = member_client.post(
        "/account/profile", data={"name": "Later", "locale": "", "timezone": ""}
    )
    assert again.status_code == 302


def test_htmx_redirect_comes_back_to_the_page(member_client):
    make_stale(member_client)
    htmx = member_client.post(
        "/account/profile",
        data={"name": "x"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/account/profile"},
    )
    assert htmx.headers["HX-Redirect"].endswith("next=/account/profile")
    foreign = member_client.post(
        "/account/profile",
        data={"name": "x"},
        headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/phish"},
    )
    assert "evil" not in foreign.headers["HX-Redirect"]
