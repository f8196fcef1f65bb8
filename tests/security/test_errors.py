"""Errors: friendly pages or JSON, never a traceback; bad input never a 500."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import TooManyRequests


@pytest.fixture
def failing_app(app):
    """The test's app with routes that fail in the ways a feature might."""

    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    def limited():
        raise TooManyRequests(retry_after=42)

    app.add_url_rule("/test-boom", "test_boom", boom)
    app.add_url_rule("/test-limited", "test_limited", limited)
    return app


def test_not_found_is_a_page_inside_the_layout(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Not found" in html and "<html" in html


def test_api_clients_get_json_errors(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == 404


def test_method_not_allowed(client):
    assert client.delete("/login").status_code == 405


def test_unexpected_errors_hide_their_details(failing_app):
    failing_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = failing_app.test_client()
    response = client.get("/test-boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "hunter2" not in html and "Traceback" not in html and "RuntimeError" not in html
    api = client.get("/test-boom", headers={"Accept": "application/json"})
    assert api.status_code == 500 and "hunter2" not in api.get_data(as_text=True)


def test_429_carries_retry_after(failing_app):
    response = failing_app.test_client().get("/test-limited")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "42"
    assert "Too many requests" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "data",
    [
        {"email": "\x00", "password": "\x00"},
        {"email": "a" * 5000 + "@example.com", "password": "x" * 10000},
        {"email": ["a@example.com", "b@example.com"], "password": ["x", "y"]},
        {"email": "' OR 1=1 --", "password": "' OR '1'='1"},
    ],
)
@pytest.mark.settings(PROPAGATE_EXCEPTIONS=False)  # as in production: handlers see every error
def test_hostile_sign_in_input_never_500s(client, data):
    assert client.post("/login", data=data).status_code < 500
    assert (
        client.post("/us-signin", data={"identity": data["email"], "passcode": "x"}).status_code
        < 500
    )
    assert client.post("/reset", data={"email": data["email"]}).status_code < 500


@pytest.mark.settings(PROPAGATE_EXCEPTIONS=False)
def test_invalid_utf8_never_500s(client):
    for path in ("/login", "/us-signin", "/reset", "/register"):
        response = client.post(
            path,
            data=b"email=%ff%fe%00&password=%c3%28&identity=%ed%a0%80",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code < 500


@pytest.mark.settings(PROPAGATE_EXCEPTIONS=False)
def test_hostile_json_never_500s(client):
    for body in ("{", "[]", '{"email": {"$ne": 1}}', '"string"', "null", "[[1, 2, 3]]", "1"):
        for path in ("/login", "/us-signin", "/reset", "/register", "/tf-validate"):
            response = client.post(path, data=body, content_type="application/json")
            assert response.status_code < 500, (path, body)


@pytest.mark.settings(PROPAGATE_EXCEPTIONS=False)
def test_a_saved_zone_babel_cannot_resolve_breaks_no_page(app, operator, signed_in_operator):
    """Found by the scanner: "localtime" is offered by zoneinfo but unknown to pytz."""
    from console.extensions import db

    operator.timezone = "localtime"
    db.session.commit()
    for path in ("/admin/users/", f"/admin/users/{operator.id}/", "/admin/audit/", "/account/"):
        assert signed_in_operator.get(path).status_code == 200, path
