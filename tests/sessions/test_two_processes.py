"""Two app processes sharing one PostgreSQL database agree on which sessions are live."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.browser import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "two servers password 9"


def _start(port: int, config: dict) -> subprocess.Popen:
    env = {**os.environ, "CONSOLE_TEST_SERVE_CONFIG": json.dumps(config)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.sessions.serve", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not start")


def _sign_in(base: str, email: str) -> requests.Session:
    browser = requests.Session()
    response = browser.post(
        f"{base}/login", data={"email": email, "password": PASSWORD}, allow_redirects=False
    )
    assert response.status_code == 302, response.text[:500]
    return browser


def test_a_session_ended_through_one_server_is_refused_by_the_other(
    backend, database_url, app_config, make_user
):
    if backend != "postgresql":
        pytest.skip("two processes share a PostgreSQL database; SQLite is embedded")
    user = make_user("two.servers@example.com", password=PASSWORD)
    config = {
        key: app_config[key]
        for key in (
            "SECRET_KEY",
            "SQLALCHEMY_DATABASE_URI",
            "WTF_CSRF_ENABLED",
            "RATELIMIT_ENABLED",
        )
    }
    config["CONSOLE_SESSION_PURGE_PROBABILITY"] = 0
    ports = (free_port(), free_port())
    servers = [_start(port, config) for port in ports]
    try:
        one, two = (f"http://127.0.0.1:{port}" for port in ports)
        for url, process in zip((one, two), servers, strict=True):
            _wait_until_up(url, process)
        first = _sign_in(one, user.email)
        second = _sign_in(two, user.email)
        for base in (one, two):
            assert second.get(f"{base}/account/sessions/", allow_redirects=False).status_code == 200

        ended = first.post(
            f"{one}/account/sessions/end-others", data={"confirmed": "1"}, allow_redirects=False
        )
        assert ended.status_code == 302

        refused = second.get(f"{two}/account/sessions/", allow_redirects=False)
        assert refused.status_code == 302
        assert "/login" in refused.headers["Location"]
        assert first.get(f"{two}/account/sessions/", allow_redirects=False).status_code == 200
    finally:
        for process in servers:
            process.terminate()
        for process in servers:
            process.wait(timeout=10)
            process.stderr.close()
