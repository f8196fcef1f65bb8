"""MFA fixtures: a software authenticator, WebAuthn ceremonies over JSON, stale sessions."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import login
from tests.mfa.softkey import SoftKey


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Argon2 at its cheapest: these tests sign in often and the hash is not their subject."""
    return {
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {
            "argon2__rounds": 1,
            "argon2__memory_cost": 256,
            "argon2__parallelism": 1,
        },
        **app_config,
    }


def register_key(
    client: FlaskClient, key: SoftKey, name: str = "My key", usage: str = "first"
) -> Any:
    """Run Flask-Security's registration ceremony with `key`; returns the final response."""
    start = client.post("/wan-register", json={"name": name, "usage": usage})
    assert start.status_code == 200, start.get_data(as_text=True)
    body = start.get_json()["response"]
    return client.post(
        f"/wan-register/{body['wan_state']}",
        json={"credential": key.register(body["credential_options"])},
    )


def signin_options(client: FlaskClient, path: str = "/wan-signin") -> tuple[dict, str]:
    """Start a passkey sign-in (or second step, or verify); returns (options, state)."""
    start = client.post(path, json={})
    assert start.status_code == 200, start.get_data(as_text=True)
    body = start.get_json()["response"]
    return body["credential_options"], body["wan_state"]


def make_stale(client: FlaskClient) -> None:
    """Pretend the sign-in happened an hour ago."""
    with client.session_transaction() as session:
        session["fs_paa"] = time.time() - 3600
        session.pop("fs_gexp", None)


@pytest.fixture
def events(app: Any) -> Iterator[list[dict[str, Any]]]:
    """The console events emitted during the test."""
    from console.core.signals import console_event

    seen: list[dict[str, Any]] = []

    def record(sender: Any, **kwargs: Any) -> None:
        seen.append(kwargs)

    console_event.connect(record)
    yield seen
    console_event.disconnect(record)


@pytest.fixture
def member(make_user: Callable[..., Any]) -> Any:
    """An ordinary user with a known password."""
    return make_user("member@example.com", password="member password 1", name="Mia Member")


@pytest.fixture
def member_client(app: Any, member: Any) -> FlaskClient:
    """A second client, signed in as `member`."""
    client = app.test_client()
    assert login(client, member.email, "member password 1").status_code == 302
    return client
