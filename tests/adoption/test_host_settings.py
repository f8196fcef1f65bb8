"""The host's own Flask-Security settings win over the console's defaults: a password
scheme of its choosing keeps verifying, and no stored hash is rewritten on sign-in."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from .conftest import ACCOUNTS, PREFIX, sign_in


@pytest.fixture
def host_config(host_config: dict[str, Any]) -> dict[str, Any]:
    """An application that chose PBKDF2 (the console's own default is argon2)."""
    return {
        **host_config,
        "SECURITY_PASSWORD_HASH": "pbkdf2_sha512",
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {"pbkdf2_sha512__rounds": 1000},
    }


def _hash(app: Flask, email: str) -> str:
    from examples.fsqla_quickstart.app import User, db

    with app.app_context():
        stored = db.session.scalar(sa.select(User.password).where(User.email == email))
        db.session.remove()
    return stored


def test_a_hosts_password_scheme_and_salt_keep_working(adopted: Flask):
    email, password = "user@me.com", ACCOUNTS["user@me.com"][0]
    stored = _hash(adopted, email)
    assert stored.startswith("$pbkdf2-sha512$")
    assert adopted.config["SECURITY_PASSWORD_HASH"] == "pbkdf2_sha512"
    assert adopted.config["SECURITY_PASSWORD_SALT"] == "146585145368132386173505678016728509634"
    client = adopted.test_client()
    assert sign_in(client, email, password, PREFIX).status_code == 302
    assert client.get("/").get_data(as_text=True) == f"Hello {email}"
    assert _hash(adopted, email) == stored
    # Flask-Security's default for confirmation stays: accounts made without a confirmed
    # address (all of the quickstart's) are not locked out by the console's default.
    assert adopted.config["SECURITY_CONFIRMABLE"] is False
