"""Every change to an account's own second factors needs a recent sign-in."""

from __future__ import annotations

import pytest

from tests.mfa.conftest import make_stale
from tests.mfa.helpers import enrol_totp

CHANGES = [
    ("/tf-setup", {"setup": "authenticator"}),
    ("/tf-setup", {"setup": "disable"}),
    ("/mf-recovery-codes", {"generate_new_codes": "1"}),
    ("/us-setup", {"chosen_method": "authenticator"}),
]


@pytest.mark.parametrize(("path", "data"), CHANGES)
def test_a_stale_sign_in_is_sent_to_reauthenticate(member_client, member, events, path, data):
    if data.get("setup") == "disable":
        enrol_totp(member_client)
        events.clear()
    make_stale(member_client)
    response = member_client.post(path, data=data)
    assert response.status_code == 302
    assert "verify" in response.headers["Location"]
    htmx = member_client.post(path, data=data, headers={"HX-Request": "true"})
    assert "verify" in htmx.headers["HX-Redirect"]
    assert "next=" in htmx.headers["HX-Redirect"]
    assert events == []
