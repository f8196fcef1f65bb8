"""Redirects stay on the site, whatever next= (or any other parameter) says."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote, unquote

import pytest
import sqlalchemy as sa

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
# `next` as a query string carries it, percent-encoded: control characters (raw once decoded
# by the server, or still encoded), backslashes and scheme-relative forms in every spelling.
NEXT_PAYLOADS = [
    "/%0D%0A/evil.com",
    "/%0A/evil.com",
    "/%09/evil.com",
    "%09/%09/evil.com",
    "/%7F/evil.com",
    "/%1B/evil.com",
    "/%2509/evil.com",
    "/%250D%250A/evil.com",
    "//evil.com",
    "/%2F/evil.com",
    "/%252F/evil.com",
    "/%5Cevil.com",
    "/%255Cevil.com",
    "%5C%5Cevil.com",
    "https://evil.com",
    "https%3A%2F%2Fevil.com",
    "https://localhost%09/%09/evil.com",
]


def _off_site(location: str) -> bool:
    from console.core.redirects import is_safe_url

    return not is_safe_url(location, "localhost")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_check_refuses_every_payload(payload):
    assert _off_site(payload)


@pytest.mark.parametrize("payload", [unquote(p) for p in NEXT_PAYLOADS])
def test_the_check_refuses_every_next_payload(payload):
    assert _off_site(payload)


@pytest.mark.parametrize(
    "target",
    [
        "/",
        "/admin/roles/?page=2",
        "https://localhost/account/",
        "http://localhost/x",
        "/admin/users/?q=a%5Cb%09c",
        "/login?next=%2F%2Fevil.example",
    ],
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


# Each endpoint that takes `next`, driven to the answer that uses it: a redirect, an
# HX-Redirect, or a confirmation page whose Cancel link and hidden `next` carry it.
NEXT_CASES = {
    "users action, nothing chosen": ("/admin/users/action/", {}, {}),
    "users action, confirmation page": ("/admin/users/action/", {"action": "deactivate"}, {}),
    "users action, done": ("/admin/users/action/", {"action": "deactivate", "confirm": "yes"}, {}),
    "sessions end, nothing chosen": ("/admin/sessions/end", {}, {}),
    "sessions end, nothing chosen (htmx)": ("/admin/sessions/end", {}, {"HX-Request": "true"}),
    "sessions end, confirmation page": ("/admin/sessions/end", {"with_key": "1"}, {}),
    "sessions end, done (htmx)": (
        "/admin/sessions/end",
        {"with_key": "1", "confirmed": "1"},
        {"HX-Request": "true"},
    ),
    "language": ("/language", {"language": "de"}, {}),
    "language (htmx)": ("/language", {"language": "de"}, {"HX-Request": "true"}),
    "sign-out": ("/logout", {}, {}),
    "re-authentication": ("/verify", {"password": "operator password 1"}, {}),
}


def _links(html: str) -> list[str]:
    """Every href, form action and hidden `next` value of a page."""
    found = re.findall(r'\s(?:href|action)="([^"]*)"', html)
    found += re.findall(r'name="next"\s+value="([^"]*)"', html)
    found += re.findall(r'value="([^"]*)"\s+name="next"', html)
    return [unescape(value) for value in found]


@pytest.mark.parametrize("payload", NEXT_PAYLOADS)
@pytest.mark.parametrize("case", list(NEXT_CASES))
def test_next_never_leaves_the_site(app, signed_in_operator, make_user, payload, case):
    from console.extensions import db
    from console.sessions.models import SessionRecord

    path, form, headers = NEXT_CASES[case]
    bystander = make_user("bystander@example.com")
    data = dict(form)
    if data.pop("with_key", None):
        other = app.test_client()
        login(other, bystander.email, "correct horse battery")
        db.session.expire_all()
        data["key"] = db.session.scalars(
            sa.select(SessionRecord.key).where(SessionRecord.user_id == bystander.id)
        ).first()
    if path.startswith("/admin/users/"):
        data["rowid"] = str(bystander.id)
    for where in ("query", "form"):
        sent = {**data, "next": unquote(payload)} if where == "form" else data
        url = f"{path}?next={payload}" if where == "query" else path
        response = signed_in_operator.post(url, data=sent, headers=headers)
        assert response.status_code < 500, (where, response.status_code)
        for name in ("Location", "HX-Redirect", "HX-Location"):
            value = response.headers.get(name)
            assert value is None or not _off_site(value), (where, name, value)
        if response.status_code == 200 and "html" in response.content_type:
            for link in _links(response.get_data(as_text=True)):
                assert not _off_site(link) or link.startswith("#"), (where, link)
        if "/login" in (response.headers.get("Location") or ""):
            login(signed_in_operator, "operator@example.com", "operator password 1")


def test_the_confirmation_pages_cancel_link_falls_back_to_the_list(signed_in_operator, make_user):
    bystander = make_user("bystander@example.com")
    response = signed_in_operator.post(
        "/admin/users/action/?next=/%09/evil.com",
        data={"action": "deactivate", "rowid": str(bystander.id)},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'href="/admin/users/"[^>]*>\s*Cancel', html), html
    assert "evil" not in html


def test_a_safe_next_is_kept(signed_in_operator, make_user):
    bystander = make_user("bystander@example.com")
    response = signed_in_operator.post(
        "/admin/users/action/?next=/admin/users/%3Fq%3Dbea",
        data={"action": "activate", "rowid": str(bystander.id), "confirm": "yes"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users/?q=bea"


def test_hx_redirect_and_hx_location_are_checked_on_the_way_out(app, client):
    import json

    from flask import Response

    from console.core.htmx import hx_redirect

    app.add_url_rule("/test-hx", "test_hx", lambda: hx_redirect("/\t/evil.example"))
    app.add_url_rule(
        "/test-hx-location",
        "test_hx_location",
        lambda: Response("", 204, headers={"HX-Location": json.dumps({"path": "//evil.example"})}),
    )
    assert client.get("/test-hx").headers["HX-Redirect"] == "/"
    assert client.get("/test-hx-location").headers["HX-Location"] == "/"
