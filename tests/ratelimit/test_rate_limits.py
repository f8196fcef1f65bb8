"""Rate limits on credential and mail endpoints, per client address and per account."""

from __future__ import annotations

import pytest

from tests.conftest import login

pytestmark = pytest.mark.settings(
    RATELIMIT_ENABLED=True,
    CONSOLE_RATELIMIT_CREDENTIALS="3 per minute",
    CONSOLE_RATELIMIT_MAIL="2 per minute",
    CONSOLE_LOCKOUT_THRESHOLD=100,
)


def _from(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _login_from(client, address, email, password="wrong password"):
    return client.post("/login", data={"email": email, "password": password}, **_from(address))


def test_sign_in_is_limited_per_client_address(client, make_user):
    users = [make_user(f"user{i}@example.com") for i in range(4)]
    answers = [_login_from(client, "192.0.2.1", u.email).status_code for u in users]
    assert answers == [200, 200, 200, 429]
    # Another address is not affected.
    assert _login_from(client, "192.0.2.2", users[3].email).status_code == 200


def test_sign_in_is_limited_per_account_across_addresses(client, make_user):
    user = make_user("target@example.com")
    answers = [
        _login_from(client, f"198.51.100.{i}", user.email.upper()).status_code for i in range(4)
    ]
    assert answers == [200, 200, 200, 429]
    # Another account from yet another address still signs in.
    other = make_user("bystander@example.com")
    response = _login_from(client, "198.51.100.200", other.email, "correct horse battery")
    assert response.status_code == 302


def test_the_429_page_is_friendly_and_says_when_to_retry(client, make_user):
    for _ in range(3):
        _login_from(client, "192.0.2.9", "someone@example.com")
    page = _login_from(client, "192.0.2.9", "someone@example.com")
    assert page.status_code == 429
    assert 1 <= int(page.headers["Retry-After"]) <= 60
    html = page.get_data(as_text=True)
    assert "Too many requests" in html and "Traceback" not in html
    api = client.post(
        "/login",
        json={"email": "someone@example.com", "password": "x"},
        headers={"Accept": "application/json"},
        **_from("192.0.2.9"),
    )
    assert api.status_code == 429
    assert api.get_json()["error"]["code"] == 429
    assert "Retry-After" in api.headers


def test_mail_endpoints_have_their_own_tighter_limit(client, make_user, outbox):
    user = make_user("mail@example.com")
    answers = [
        client.post("/reset", data={"email": user.email}, **_from("192.0.2.20")).status_code
        for _ in range(3)
    ]
    assert answers[:2] != [429, 429] and answers[2] == 429
    assert len(outbox()) == 2


def test_get_shows_forms_without_counting(client):
    for _ in range(10):
        assert client.get("/login", **_from("192.0.2.30")).status_code == 200


def test_every_credential_and_mail_endpoint_is_limited(app):
    from console.core.ratelimit import limited as limited_endpoints
    from console.ratelimit import CREDENTIAL_ENDPOINTS, MAIL_ENDPOINTS

    limited = limited_endpoints(app)
    for endpoint in (*CREDENTIAL_ENDPOINTS, *MAIL_ENDPOINTS):
        assert endpoint in limited
    # Any Flask-Security endpoint that takes a credential or sends mail is in the table.
    sensitive = {
        "login", "verify", "tf-validate", "mf-recovery", "us-signin", "us-verify", "wan-signin",
        "reset", "confirm", "register", "change-email", "recover-username", "tf-rescue",
    }  # fmt: skip
    for rule in app.url_map.iter_rules():
        first = rule.rule.strip("/").split("/")[0]
        if rule.endpoint.startswith("security.") and first in sensitive:
            if rule.endpoint == "security.change_email_confirm":
                continue  # a link that only confirms, already authenticated by its token
            assert rule.endpoint in limited, rule.rule


@pytest.mark.settings(RATELIMIT_ENABLED=False)
def test_can_be_switched_off(client, make_user):
    user = make_user("free@example.com")
    assert {login(client, user.email, "wrong").status_code for _ in range(5)} == {200}


def test_counters_live_in_the_configured_store(app):
    from console.core.ratelimit import limiter as limiter_of

    limiter = limiter_of(app)
    assert limiter.enabled
    assert type(limiter.storage).__name__ == "MemoryStorage"


@pytest.mark.settings(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15")
def test_redis_store_is_shared_between_apps(app, app_config, make_user):
    """Two apps (two workers) on the same Redis see one counter."""
    from console import create_app
    from console.core.ratelimit import limiter

    limiter(app).reset()
    other = create_app(app_config)
    first, second = app.test_client(), other.test_client()
    email = "shared@example.com"
    answers = [
        (first if i % 2 else second)
        .post("/login", data={"email": email, "password": "x"}, **_from("192.0.2.77"))
        .status_code
        for i in range(4)
    ]
    assert answers == [200, 200, 200, 429]
    limiter(app).reset()
    from console.extensions import db

    with other.app_context():
        db.session.remove()
        db.engine.dispose()
