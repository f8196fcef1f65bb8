"""A database that goes away gives 503s, quickly; when it returns, the console recovers."""

from __future__ import annotations

import time

import pytest
import requests

from .conftest import add_account

pytestmark = pytest.mark.slow

POOL_TIMEOUT = 2
PASSWORD = "steady password 123"


def _timed_get(
    browser: requests.Session, url: str, **headers: str
) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = browser.get(url, headers=headers, allow_redirects=False, timeout=30)
    return response, time.monotonic() - started


def test_database_outage_is_a_503_and_recovers_without_a_restart(serve, throwaway_postgres):
    add_account(throwaway_postgres.url, "steady@example.com", PASSWORD, ["mail:read"])
    server = serve(throwaway_postgres.url, CONSOLE_DB_POOL_TIMEOUT=POOL_TIMEOUT)
    browser = requests.Session()
    signed_in = browser.post(
        f"{server.url}/login",
        data={"email": "steady@example.com", "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 302
    assert (
        browser.get(f"{server.url}/admin/outbox/", allow_redirects=False, timeout=30).status_code
        == 200
    )

    throwaway_postgres.stop()
    # The load balancer's check, a signed-in page (the user loader needs the database) and
    # its htmx and JSON variants: all a 503 within the pool timeout, none a traceback.
    load_balancer = requests.Session()
    health, elapsed = _timed_get(load_balancer, f"{server.url}/healthz")
    assert health.status_code == 503 and elapsed < POOL_TIMEOUT + 1
    assert health.json() == {"status": "unavailable"}
    page, elapsed = _timed_get(browser, f"{server.url}/admin/outbox/", Accept="text/html")
    assert page.status_code == 503 and elapsed < POOL_TIMEOUT + 1
    assert 'data-error-code="503"' in page.text
    assert "Traceback" not in page.text and "psycopg" not in page.text
    assert page.headers["Retry-After"]
    fragment, _ = _timed_get(browser, f"{server.url}/admin/outbox/", **{"HX-Request": "true"})
    assert fragment.status_code == 503
    api, _ = _timed_get(browser, f"{server.url}/admin/outbox/", Accept="application/json")
    assert api.status_code == 503
    assert api.json()["error"]["code"] == 503
    form, _ = _timed_get(requests.Session(), f"{server.url}/login")
    assert form.status_code in (200, 503)
    failed_sign_in = requests.post(
        f"{server.url}/login",
        data={"email": "steady@example.com", "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert failed_sign_in.status_code == 503

    throwaway_postgres.start()
    # The same workers, with connections made before the outage, serve again.
    assert load_balancer.get(f"{server.url}/healthz", timeout=30).json() == {"status": "ok"}
    again = browser.get(f"{server.url}/admin/outbox/", allow_redirects=False, timeout=30)
    assert again.status_code == 200
    assert "steady@example.com" in again.text
