"""Sign-in, sign-out, password reset, cookies and the host's own protected routes."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from .conftest import PREFIX, sign_in


def _cookies(response: Any) -> dict[str, str]:
    """name -> Set-Cookie header, for the cookies a response sets."""
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def _path_of(set_cookie: str) -> str:
    match = re.search(r"Path=([^;]+)", set_cookie)
    assert match, set_cookie
    return match.group(1)


def test_sign_in_lands_on_a_console_page_and_sign_out_returns_to_sign_in(client, operator):
    response = sign_in(client, operator.email, "operator password 1")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path.startswith(f"{PREFIX}/")
    outbox_page = client.get(f"{PREFIX}/admin/outbox/")
    assert outbox_page.status_code == 200
    assert operator.email in outbox_page.get_data(as_text=True)

    signed_out = client.post(f"{PREFIX}/logout")
    assert signed_out.status_code == 302
    assert urlsplit(signed_out.headers["Location"]).path == f"{PREFIX}/login"
    again = client.get(f"{PREFIX}/admin/outbox/")
    assert again.status_code == 302
    location = again.headers["Location"]
    assert urlsplit(location).path == f"{PREFIX}/login"
    # Back to the page that was asked for, prefix included, after signing in again.
    assert unquote(urlsplit(location).query) == f"next={PREFIX}/admin/outbox/"


def test_next_keeps_the_prefix_after_sign_in(client, operator):
    response = client.get(f"{PREFIX}/admin/outbox/")
    login_url = response.headers["Location"]
    form = client.get(login_url)
    assert form.status_code == 200
    signed_in = client.post(
        login_url, data={"email": operator.email, "password": "operator password 1"}
    )
    assert signed_in.status_code == 302
    assert urlsplit(signed_in.headers["Location"]).path == f"{PREFIX}/admin/outbox/"


def test_cookies_follow_the_mode(mode, client, operator):
    response = sign_in(client, operator.email, "operator password 1", remember="y")
    cookies = _cookies(response)
    if mode == "extension":
        # One session for host and console: the host's routes read the same sign-in.
        assert _path_of(cookies["session"]) == "/"
        assert _path_of(cookies["remember_token"]) == "/"
    else:
        # A mounted console keeps its cookies to itself, apart from the host's.
        assert _path_of(cookies["console_session"]) == PREFIX
        assert _path_of(cookies["console_remember"]) == PREFIX
        assert "session" not in cookies
    for header in cookies.values():
        assert "HttpOnly" in header


def test_password_reset_through_the_mailed_link(client, make_user, outbox):
    user = make_user("forgetful@example.com", password="old password 123")
    response = client.post(f"{PREFIX}/reset", data={"email": user.email})
    assert response.status_code in (200, 302)
    [message] = [m for m in outbox() if user.email in m.recipient_list()]
    match = re.search(r"https?://[^\s\"'<>]+/reset/[^\s\"'<>]+", message.body_text)
    assert match, message.body_text
    link = urlsplit(match.group(0))
    assert link.netloc == "localhost"
    assert link.path.startswith(f"{PREFIX}/reset/")
    if message.body_html:
        assert f"http://localhost{PREFIX}/reset/" in message.body_html

    form = client.get(link.path)
    assert form.status_code == 200
    assert f'action="{PREFIX}/reset/' in form.get_data(as_text=True)
    new_password = "brand new password 456"
    done = client.post(link.path, data={"password": new_password, "password_confirm": new_password})
    assert done.status_code == 302
    assert urlsplit(done.headers["Location"]).path.startswith(f"{PREFIX}/")
    client.post(f"{PREFIX}/logout")
    assert sign_in(client, user.email, "old password 123").status_code == 200
    assert sign_in(client, user.email, new_password).status_code == 302


def test_host_pages_console_errors_and_health_check_each_keep_to_their_paths(client):
    host_page = client.get("/")
    assert host_page.status_code == 200
    assert "Welcome to the host" in host_page.get_data(as_text=True)
    # The console's strict headers and error pages are for the console's paths only.
    assert "Content-Security-Policy" not in host_page.headers
    assert "Content-Security-Policy" in client.get(f"{PREFIX}/login").headers
    inside = client.get(f"{PREFIX}/no-such-page", headers={"Accept": "text/html"})
    assert inside.status_code == 404
    assert 'data-error-code="404"' in inside.get_data(as_text=True)
    outside = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert outside.status_code == 404
    assert "data-error-code" not in outside.get_data(as_text=True)

    health = client.get(f"{PREFIX}/healthz")
    assert health.status_code == 200
    assert health.get_json() == {"status": "ok"}
    assert health.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("mode", ["extension"], indirect=True)
class TestHostRoutes:
    """The host's own routes, guarded by Flask-Security, see the console's sign-in."""

    def test_auth_required_refuses_a_visitor_with_a_sign_in_under_the_prefix(self, client):
        response = client.get("/reports")
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert location.path == f"{PREFIX}/login"
        assert "next=%2Freports" in location.query or "next=/reports" in location.query
        assert client.get("/reports", headers={"Accept": "application/json"}).status_code == 401

    def test_auth_required_admits_a_user_signed_in_through_the_console(self, client, make_user):
        user = make_user("reader@example.com", password="reader password 123")
        assert client.get("/reports").status_code == 302
        assert sign_in(client, user.email, "reader password 123").status_code == 302
        response = client.get("/reports")
        assert response.status_code == 200
        assert response.get_json() == {"reports_for": user.email}
        client.post(f"{PREFIX}/logout")
        assert client.get("/reports").status_code == 302

    def test_sign_in_returns_to_the_host_page_that_asked(self, client, make_user):
        user = make_user("returning@example.com", password="reader password 123")
        login_url = client.get("/reports").headers["Location"]
        response = client.post(
            login_url, data={"email": user.email, "password": "reader password 123"}
        )
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path == "/reports"

    def test_permissions_required_checks_the_console_roles(self, client, make_user):
        make_user("plain@example.com", password="plain password 123")
        make_user("lead@example.com", password="lead password 123", permissions=["users:read"])
        sign_in(client, "plain@example.com", "plain password 123")
        assert client.get("/team").status_code == 403
        client.post(f"{PREFIX}/logout")
        sign_in(client, "lead@example.com", "lead password 123")
        response = client.get("/team")
        assert response.status_code == 200
        assert response.get_json() == {"team_for": "lead@example.com"}
