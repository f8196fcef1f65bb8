"""The application shell: home, health, errors, configuration and settings."""

from __future__ import annotations

import pytest

from console import create_app
from console.config import ConfigError
from console.settings import setting


def test_home_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_not_found_is_a_page_for_browsers_and_json_for_clients(client):
    page = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert "There is nothing at this address." in page.get_data(as_text=True)
    assert 'data-error-code="404"' in page.get_data(as_text=True)
    api = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert api.status_code == 404
    assert api.get_json()["error"]["code"] == 404


def test_method_not_allowed_is_friendly(client):
    response = client.delete("/login")
    assert response.status_code == 405
    assert "Traceback" not in response.get_data(as_text=True)


def test_unexpected_errors_are_a_500_page_without_traceback(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internals" not in body and "Traceback" not in body


def test_every_response_carries_a_strict_csp(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_production_refuses_the_development_secret(database_url):
    with pytest.raises(ConfigError):
        create_app({"CONSOLE_ENV": "production", "SQLALCHEMY_DATABASE_URI": database_url})


def test_production_starts_with_a_real_secret(database_url):
    app = create_app(
        {
            "CONSOLE_ENV": "production",
            "SECRET_KEY": "a" * 48,
            "SQLALCHEMY_DATABASE_URI": database_url,
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_settings_lookup_is_strict(app):
    assert setting("CONSOLE_PAGE_SIZE") == 50
    with pytest.raises(KeyError):
        setting("CONSOLE_NO_SUCH_THING")
    # One spelling: the key as the defaults table and the configuration spell it.
    with pytest.raises(KeyError):
        setting("PAGE_SIZE")


def test_api_me_answers_json_for_the_signed_in_account(signed_in_operator, client):
    body = signed_in_operator.get("/api/me").get_json()
    assert body["email"] == "operator@example.com"
    assert "users:read" in body["permissions"]
    assert "password" not in body and "fs_uniquifier" not in body


def test_api_me_refuses_anonymous_callers(app):
    response = app.test_client().get("/api/me")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == 401


def test_deleting_a_user_cascades_to_their_rows(app, make_user):
    import sqlalchemy as sa

    from console.extensions import db
    from console.models import Role, User, roles_users

    user = make_user("gone@example.com", roles=["Temporary"])
    role_id = db.session.scalar(sa.select(Role.id).where(Role.name == "Temporary"))
    db.session.execute(sa.delete(User).where(User.id == user.id))
    db.session.commit()
    left = db.session.scalar(
        sa.select(sa.func.count()).select_from(roles_users).where(roles_users.c.role_id == role_id)
    )
    assert left == 0
