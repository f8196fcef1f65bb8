"""Redirects stay on the site, whatever next= (or any other parameter) says."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import login
from tests.security.routes import routes

# Payloads from past Flask-Security advisories and open-redirect folklore.
PAYLOADS = [
    "//evil.example",
    "///evil.example",
    "////evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "\\\\\\evil.example",
    "\\/evil.example",
    "\t//evil.example",
    " //evil.example",
    "\n//evil.example",
    "https://evil.example",
    "http://evil.example/login",
    "https://localhost\\.evil.example",
    "https://localhost@evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
]
# Encoded once more: harmless as they stand (a path on this site), unless a view decodes
# them again before redirecting, which the sign-in tests would catch.
ENCODED = ["/%2F%2Fevil.example", "%2F%2Fevil.example", "%09//evil.example", "%5C%5Cevil.example"]


def _off_site(location: str) -> bool:
    from console.core.headers import is_safe_location

    return not is_safe_location(location, "localhost")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_check_refuses_every_payload(payload):
    assert _off_site(payload)


@pytest.mark.parametrize(
    "target", ["/", "/admin/roles/?page=2", "https://localhost/account/", "http://localhost/x"]
)
def test_the_check_allows_the_site_itself(target):
    assert not _off_site(target)


def test_sign_in_never_sends_the_user_off_site(app, operator):
    for payload in PAYLOADS + ENCODED:
        response = app.test_client().post(
            f"/login?next={quote(payload, safe='')}",
            data={"email": operator.email, "password": "operator password 1", "next": payload},
        )
        _stays_on_site(response)


def _stays_on_site(response) -> None:
    """Either a redirect on the site, or the form again (Flask-Security refused the target)."""
    if response.status_code == 200:
        assert "Location" not in response.headers and "HX-Redirect" not in response.headers
        return
    assert response.status_code == 302
    assert not _off_site(response.headers["Location"]), response.headers["Location"]


def test_unified_signin_and_verify_never_send_the_user_off_site(app, operator):
    for payload in PAYLOADS:
        client = app.test_client()
        response = client.post(
            "/us-signin",
            data={
                "identity": operator.email,
                "passcode": "operator password 1",
                "submit": "Sign in",
                "next": payload,
            },
        )
        _stays_on_site(response)
        signed_in = client.post(
            "/login", data={"email": operator.email, "password": "operator password 1"}
        )
        assert signed_in.status_code == 302
        response = client.post(
            f"/verify?next={quote(payload, safe='')}",
            data={"password": "operator password 1", "next": payload},
        )
        _stays_on_site(response)


def test_every_page_keeps_redirects_on_site(signed_in_operator):
    """Any route, any redirect parameter name: GET and POST with hostile targets."""
    client = signed_in_operator
    query = {
        "next": "//evil.example",
        "url": "/\\evil.example",
        "return_to": " //evil.example",
        "redirect": "https://evil.example",
        "continue": "\\\\evil.example",
        "back": "https://localhost\\.evil.example",
    }
    for route in routes(client.application):
        if route.endpoint in ("security.logout",) or route.endpoint.endswith("static"):
            continue
        for method in sorted(route.methods & {"GET", "POST"}):
            response = client.open(route.url, method=method, query_string=query, data=query)
            location = response.headers.get("Location")
            response.close()
            if response.status_code in (301, 302, 303, 307, 308):
                assert not _off_site(location), (method, route.url, location)
                if "/login" in location:
                    # A page that signed the operator out: sign in again for the next ones.
                    login(client, "operator@example.com", "operator password 1")


def test_sign_out_keeps_next_on_site(signed_in_operator):
    response = signed_in_operator.post("/logout?next=//evil.example")
    assert response.status_code == 302
    assert not _off_site(response.headers["Location"])


def test_an_off_site_redirect_from_any_view_is_rewritten(app, client):
    from flask import redirect

    app.add_url_rule("/test-bounce", "test_bounce", lambda: redirect("//evil.example/x"))
    response = client.get("/test-bounce")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
