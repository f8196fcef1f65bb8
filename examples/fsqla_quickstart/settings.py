"""The application's configuration, as Flask-Security's quickstart sets it (plus TOTP and
passkeys): adoption changes none of it, and the console uses these values."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask


def configure(app: Flask, config: dict[str, Any] | None = None) -> None:
    """The quickstart's settings, from the environment where it provides them."""
    # Generate a nice key using secrets.token_urlsafe()
    app.config["SECRET_KEY"] = os.environ.get(
        "SECRET_KEY", "pf9Wkove4IKEAXvy-cQkeDPhv9Cb3Ag-wyJILbq_dFw"
    )
    # Flask-Security hashes with argon2 by default, over an HMAC of the password with this
    # salt: every stored hash depends on it. Generate one with
    # secrets.SystemRandom().getrandbits(128).
    app.config["SECURITY_PASSWORD_SALT"] = os.environ.get(
        "SECURITY_PASSWORD_SALT", "146585145368132386173505678016728509634"
    )
    instance = Path(app.instance_path)
    default_database = f"sqlite:///{instance / 'quickstart.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", default_database)
    # Makes sure that pooled connections are still valid (many DBaaS close idle ones).
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    # Session and remember cookies are SameSite (Flask and Flask-Login).
    app.config["REMEMBER_COOKIE_SAMESITE"] = "strict"
    app.config["SESSION_COOKIE_SAMESITE"] = "strict"
    # Two-factor sign-in with an authenticator app, and its recovery codes (stored as
    # Flask-Security stores them by default: without SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS).
    app.config["SECURITY_TWO_FACTOR"] = True
    app.config["SECURITY_TWO_FACTOR_ENABLED_METHODS"] = ["authenticator"]
    app.config["SECURITY_TOTP_SECRETS"] = {
        "1": os.environ.get("SECURITY_TOTP_SECRET", "TjQ9Qa31VOrfEzuPy4VHQWPCTmRzCnFzMKLxXYiZu9B")
    }
    app.config["SECURITY_TOTP_ISSUER"] = "Quickstart"
    app.config["SECURITY_MULTI_FACTOR_RECOVERY_CODES"] = True
    # Passkeys, to sign in without a password.
    app.config["SECURITY_WEBAUTHN"] = True
    app.config["SECURITY_WAN_ALLOW_AS_FIRST_FACTOR"] = True
    app.config.update(config or {})
    if app.config["SQLALCHEMY_DATABASE_URI"] == default_database:
        instance.mkdir(parents=True, exist_ok=True)
