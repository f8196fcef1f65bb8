"""Breached passwords: every new password (registration, reset, change, the operator CLI) is
looked up in a Pwned Passwords range API, here a local stub, by its hash's 5-character
prefix only; an unreachable API fails open or closed as configured."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.account.helpers import PASSWORD, page_text

BREACHED = "tr0ub4dor and 3 horses"
CLEAN = "a quiet lighthouse 9182"


def sha1(password: str) -> str:
    return hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()


class RangeStub:
    """A range API on 127.0.0.1: GET /range/<prefix> answers "SUFFIX:COUNT" lines."""

    def __init__(self) -> None:
        self.breached: dict[str, int] = {}
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server interface
                length = int(self.headers.get("Content-Length") or 0)
                stub.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length),
                    }
                )
                prefix = self.path.rsplit("/", 1)[-1].upper()
                lines = [
                    f"{digest[5:]}:{count}"
                    for digest, count in stub.breached.items()
                    if digest.startswith(prefix)
                ]
                lines += ["0" * 35 + ":0", "F" * 35 + ":0"]  # padding, as the real API adds
                body = "\r\n".join(lines).encode()
                self.send_response(stub.status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/range/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def breach(self, password: str, count: int = 1234) -> None:
        self.breached[sha1(password)] = count

    def stop(self) -> None:
        if not self.thread.is_alive():
            return
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def stub(app) -> Iterator[RangeStub]:
    """The range API stub, with the check turned on against it and BREACHED on its list."""
    server = RangeStub()
    server.breach(BREACHED)
    app.config.update(CONSOLE_BREACHED_PASSWORDS=True, CONSOLE_BREACHED_PASSWORDS_URL=server.url)
    yield server
    server.stop()


@pytest.fixture
def down(app, stub) -> str:
    """The API is unreachable: its port no longer answers."""
    stub.stop()
    app.config["CONSOLE_BREACHED_PASSWORDS_TIMEOUT"] = 2.0
    return stub.url


def change(client, new: str) -> Any:
    return client.post(
        "/change",
        data={"password": PASSWORD, "new_password": new, "new_password_confirm": new},
    )


def password_of(user: Any) -> str:
    from console.extensions import db

    db.session.expire_all()
    return db.session.get(type(user), user.id).password


def test_a_breached_password_is_refused_on_change(member_client, member, stub):
    before = password_of(member)
    response = change(member_client, BREACHED)
    assert response.status_code == 200
    assert "appears in known data breaches" in page_text(response)
    assert password_of(member) == before


def test_a_clean_password_is_accepted_on_change(member_client, member, stub):
    before = password_of(member)
    response = change(member_client, CLEAN)
    assert response.status_code == 302, page_text(response)
    assert password_of(member) != before


def test_only_the_five_character_prefix_leaves_the_server(member_client, stub):
    change(member_client, BREACHED)
    change(member_client, CLEAN)
    assert [r["path"] for r in stub.requests] == [
        f"/range/{sha1(BREACHED)[:5]}",
        f"/range/{sha1(CLEAN)[:5]}",
    ]
    sent = repr(stub.requests)
    for password in (BREACHED, CLEAN):
        assert sha1(password)[5:] not in sent and password not in sent
    assert all(r["body"] == b"" for r in stub.requests)
    assert all(r["headers"].get("Add-Padding") == "true" for r in stub.requests)


def test_a_weak_password_gets_its_strength_feedback_without_asking(member_client, stub):
    response = change(member_client, "password1")
    assert "fs-error-msg" in page_text(response)
    assert stub.requests == []


def test_a_breached_password_is_refused_on_reset(client, member, outbox, stub):
    client.post("/reset", data={"email": member.email})
    link = re.search(r"/reset/[^\s\"'<>]+", outbox()[-1].body_text).group(0)
    before = password_of(member)
    refused = client.post(link, data={"password": BREACHED, "password_confirm": BREACHED})
    assert refused.status_code == 200
    assert "appears in known data breaches" in page_text(refused)
    assert password_of(member) == before
    accepted = client.post(link, data={"password": CLEAN, "password_confirm": CLEAN})
    assert accepted.status_code == 302, page_text(accepted)
    assert password_of(member) != before


@pytest.mark.settings(SECURITY_REGISTERABLE=True)
def test_a_breached_password_is_refused_at_registration(client, stub):
    from console.accounts import find_user_by_email

    def register(password: str) -> Any:
        return client.post(
            "/register",
            data={"email": "gina@example.com", "password": password, "password_confirm": password},
        )

    refused = register(BREACHED)
    assert refused.status_code == 200
    assert "appears in known data breaches" in page_text(refused)
    assert find_user_by_email("gina@example.com") is None
    assert register(CLEAN).status_code in (200, 302)
    assert find_user_by_email("gina@example.com") is not None


def test_the_operator_cli_runs_the_same_check(app, stub):
    from console.accounts import create_operator, find_user_by_email

    with pytest.raises(ValueError, match="known data breaches"):
        create_operator("root@example.com", BREACHED)
    assert find_user_by_email("root@example.com") is None


def test_a_count_below_the_threshold_is_accepted(app, member_client, member, stub):
    app.config["SECURITY_PASSWORD_BREACHED_COUNT"] = 5000
    before = password_of(member)
    assert change(member_client, BREACHED).status_code == 302
    assert password_of(member) != before


def test_an_unreachable_api_fails_open_by_default(member_client, member, down, caplog):
    before = password_of(member)
    response = change(member_client, BREACHED)
    assert response.status_code == 302, page_text(response)
    assert password_of(member) != before
    assert "breached-password check could not be made" in caplog.text


@pytest.mark.settings(CONSOLE_BREACHED_PASSWORDS_FAIL="closed")
def test_an_unreachable_api_fails_closed_when_configured(member_client, member, down):
    before = password_of(member)
    response = change(member_client, CLEAN)
    assert response.status_code == 200
    assert "could not be checked against the list of breached passwords" in page_text(response)
    assert password_of(member) == before


@pytest.mark.settings(CONSOLE_BREACHED_PASSWORDS_FAIL="closed")
def test_an_error_status_counts_as_unreachable(member_client, member, stub):
    stub.status = 503
    response = change(member_client, CLEAN)
    assert "could not be checked against the list of breached passwords" in page_text(response)


def test_off_asks_nothing(app, member_client, member, stub):
    app.config["CONSOLE_BREACHED_PASSWORDS"] = False
    assert change(member_client, BREACHED).status_code == 302
    assert stub.requests == []


def test_unset_means_on_in_production_only(app):
    from console.account import passwords

    app.config["CONSOLE_BREACHED_PASSWORDS"] = None
    assert passwords.enabled() is False
    app.config["CONSOLE_ENV"] = "production"
    assert passwords.enabled() is True


def test_an_unknown_failure_mode_stops_the_console(app_config):
    from console import create_app
    from console.config import ConfigError

    with pytest.raises(ConfigError, match="CONSOLE_BREACHED_PASSWORDS_FAIL"):
        create_app({**app_config, "CONSOLE_BREACHED_PASSWORDS_FAIL": "maybe"})
