"""MFA fixtures: a software authenticator, WebAuthn ceremonies over JSON, stale sessions."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import MEMBER_PASSWORD, login
from tests.mfa.softkey import SoftKey


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
def member_client(app: Any, member: Any) -> FlaskClient:
    """A second client, signed in as `member`."""
    client = app.test_client()
    assert login(client, member.email, MEMBER_PASSWORD).status_code == 302
    return client
