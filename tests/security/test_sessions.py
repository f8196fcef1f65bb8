"""Session and remember cookies: HttpOnly, SameSite, Secure and __Host- in production."""

from __future__ import annotations

import pytest

from tests.conftest import login

PRODUCTION = pytest.mark.settings(CONSOLE_ENV="production", PREFERRED_URL_SCHEME="https")


def _set_cookies(response) -> dict[str, str]:
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0]
        cookies[name] = header
    return cookies


def _flags(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def test_development_cookies_are_httponly_and_samesite(client, operator):
    response = login(client, operator.email, "operator password 1", remember="y")
    cookies = _set_cookies(response)
    assert {"session", "remember_token"} <= set(cookies)
    for header in cookies.values():
        assert {"httponly", "samesite"} <= _flags(header)
        assert "SameSite=Lax" in header or "SameSite=Strict" in header


@PRODUCTION
def test_production_cookies_are_secure_and_host_prefixed(client, operator):
    response = client.post(
        "/login",
        data={"email": operator.email, "password": "operator password 1", "remember": "y"},
        base_url="https://localhost",
    )
    assert response.status_code == 302
    cookies = _set_cookies(response)
    assert {"__Host-session", "__Host-remember_token"} <= set(cookies)
    for header in cookies.values():
        assert {"httponly", "samesite", "secure", "path"} <= _flags(header)
        assert "Path=/;" in header or header.endswith("Path=/")
        assert "domain" not in _flags(header)


@pytest.mark.settings(CONSOLE_ENV="production", CONSOLE_COOKIE_HOST_PREFIX=False)
def test_host_prefix_can_be_turned_off(app):
    assert app.config["SESSION_COOKIE_NAME"] == "session"
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.settings(CONSOLE_ENV="production", SESSION_COOKIE_DOMAIN="example.com")
def test_no_host_prefix_for_cookies_shared_with_subdomains(app):
    assert not app.config["SESSION_COOKIE_NAME"].startswith("__Host-")


def test_the_cookie_from_before_sign_in_does_not_become_a_session(app, operator):
    """Session fixation: a cookie planted before sign-in is not the signed-in session."""
    attacker = app.test_client()
    attacker.get("/login")
    planted = attacker.get_cookie("session")
    victim = app.test_client()
    if planted is not None:
        victim.set_cookie("session", planted.value)
    assert login(victim, operator.email, "operator password 1").status_code == 302
    signed_in = victim.get_cookie("session")
    assert signed_in is not None
    assert planted is None or signed_in.value != planted.value
    # The planted cookie still belongs to an anonymous visitor.
    replay = app.test_client()
    if planted is not None:
        replay.set_cookie("session", planted.value)
    assert replay.get("/admin/roles/").status_code == 302


def test_sign_out_is_post_only(signed_in_operator):
    assert signed_in_operator.get("/logout").status_code == 405
    assert signed_in_operator.get("/admin/roles/").status_code == 200
    assert signed_in_operator.post("/logout").status_code == 302
    assert signed_in_operator.get("/admin/roles/").status_code == 302
