"""Fixtures for leaving: signed-in clients, a factor and a token to erase, the file read back."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import MEMBER_PASSWORD, login


@pytest.fixture
def member_client(app: Flask, member: Any) -> FlaskClient:
    """A client signed in (freshly) as `member`."""
    client = app.test_client()
    assert login(client, member.email, MEMBER_PASSWORD).status_code == 302
    return client


def make_stale(client: FlaskClient) -> None:
    """Pretend the sign-in happened an hour ago, past SECURITY_FRESHNESS and its grace."""
    with client.session_transaction() as session:
        session["fs_paa"] = time.time() - 3600
        session.pop("fs_gexp", None)


def read_export(response: Any) -> dict[str, Any]:
    """The downloaded file, checked to be an attachment of JSON."""
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="personal-data-'
    )
    return json.loads(response.get_data(as_text=True))


@pytest.fixture
def token_for(app: Flask) -> Callable[..., str]:
    """token_for(user): the secret of a new personal access token of `user`."""
    from flask_security import naive_utcnow

    from console.api import tokens

    def factory(user: Any, name: str = "Build script") -> str:
        created = tokens.create_token(
            user, name=name, scopes=[], expires_at=naive_utcnow() + timedelta(days=30)
        )
        return created.secret

    return factory


def is_signed_in(client: FlaskClient) -> bool:
    return client.get("/account/").status_code == 200


@pytest.fixture
def audit_cli(app: Flask) -> Callable[..., Any]:
    """audit_cli("verify") runs `flask console audit verify` against the test's app."""

    def run(*args: str) -> Any:
        return app.test_cli_runner().invoke(args=["console", "audit", *args])

    return run
