"""Two gunicorn servers sharing one PostgreSQL and one Redis behave as one console."""

from __future__ import annotations

import pytest
import requests

from .conftest import REDIS_URL, add_account

pytestmark = pytest.mark.slow

PASSWORD = "shared password 123"


def _sign_in(browser: requests.Session, server_url: str, email: str, password: str) -> int:
    response = browser.post(
        f"{server_url}/login",
        data={"email": email, "password": password},
        allow_redirects=False,
        timeout=20,
    )
    return response.status_code


def _signed_in(browser: requests.Session, server_url: str) -> bool:
    response = browser.get(f"{server_url}/admin/outbox/", allow_redirects=False, timeout=20)
    assert response.status_code in (200, 302), response.text
    return response.status_code == 200


def _replay(cookies: requests.cookies.RequestsCookieJar) -> requests.Session:
    """Another browser holding a copy of these cookies (as an attacker or a stale tab)."""
    browser = requests.Session()
    browser.cookies.update(cookies)
    return browser


def test_two_servers_share_sign_in_sign_out_and_rate_limits(serve, shared_postgres, redis_prefix):
    config = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": redis_prefix},
        "CONSOLE_RATELIMIT_CREDENTIALS": "3 per minute",
    }
    add_account(shared_postgres, "ops@example.com", PASSWORD, ["mail:read"])
    first = serve(shared_postgres, **config)
    second = serve(shared_postgres, **config)

    # A sign-in on one server is valid on the other.
    browser = requests.Session()
    assert _sign_in(browser, first.url, "ops@example.com", PASSWORD) == 302
    assert _signed_in(browser, first.url)
    assert _signed_in(browser, second.url)

    # A session ended on one server is refused by the other, even with the old cookie.
    stolen = _replay(browser.cookies)
    assert _signed_in(stolen, second.url)
    signed_out = browser.post(f"{first.url}/logout", allow_redirects=False, timeout=20)
    assert signed_out.status_code == 302
    assert not _signed_in(browser, second.url)
    assert not _signed_in(stolen, second.url)
    assert not _signed_in(stolen, first.url)

    # Rate-limit counts add up across both servers. Three credential checks a minute per
    # client address: the sign-in above on the first, one failure on each, then the next
    # attempt is refused by either (with counters per server, each would have seen two).
    attacker = requests.Session()
    assert _sign_in(attacker, first.url, "victim@example.com", "wrong 1") == 200
    assert _sign_in(attacker, second.url, "victim@example.com", "wrong 2") == 200
    assert _sign_in(attacker, second.url, "victim@example.com", "wrong 3") == 429
    assert _sign_in(attacker, first.url, "ops@example.com", PASSWORD) == 429
