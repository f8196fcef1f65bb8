"""Endpoint secrets and signatures: secrets made here (whsec_ + base64), kept encrypted at
rest like recovery codes, and each body signed the Standard Webhooks way."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from flask import current_app
from standardwebhooks import Webhook

PREFIX = "whsec_"
# 24 random bytes: within the 24 to 64 bytes the Standard Webhooks specification asks for.
SECRET_BYTES = 24


def new_secret() -> str:
    """A fresh endpoint secret: "whsec_" and the base64 of random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _cryptor() -> MultiFernet:
    # The keys that encrypt recovery codes (Flask-Security's MultiFernet, its first key the
    # primary one); a key derived from SECRET_KEY when an application set none.
    util = current_app.extensions["security"].mf_recovery_codes_util
    cryptor = getattr(util, "cryptor", None)
    if cryptor is not None:
        return cryptor
    secret = str(current_app.config["SECRET_KEY"])
    digest = hashlib.sha256(f"webhook-secrets:{secret}".encode()).digest()
    return MultiFernet([Fernet(base64.urlsafe_b64encode(digest))])


def encrypt(secret: str) -> str:
    """The stored form of an endpoint secret."""
    return _cryptor().encrypt(secret.encode()).decode()


def decrypt(stored: str) -> str:
    """The endpoint secret back from its stored form."""
    return _cryptor().decrypt(stored.encode()).decode()


def headers(
    secret: str, message_id: str, body: str, *, at: datetime | None = None
) -> dict[str, Any]:
    """The webhook-id, webhook-timestamp and webhook-signature headers of `body`."""
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    signature = Webhook(secret).sign(message_id, moment, body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }
