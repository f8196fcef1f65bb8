"""The audit keys: derived from secrets in the configuration, never stored in the database.

Every secret (a CONSOLE_AUDIT_KEYS entry, or SECRET_KEY for the default id "k1") is turned
into a 32-byte key by HMAC-SHA256 under a fixed label, so that the same secret always gives
the same key and the audit key is never the secret itself. Purposes are kept apart by what
is MACed: a link is 64 hex digits followed by JSON, a checkpoint or an anchor seal starts
with its own word (never a hex digit run of that length).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_app_context

from ..config import ConfigError
from ..settings import setting

LABEL = b"security-console audit chain v1"
DEFAULT_KEY_ID = "k1"
KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


def derive(secret: str | bytes) -> bytes:
    """The audit key a secret stands for."""
    raw = secret.encode() if isinstance(secret, str) else bytes(secret)
    return hmac.new(raw, LABEL, hashlib.sha256).digest()


@dataclass(frozen=True)
class Keyring:
    """The audit keys by id and the id new links, checkpoints and seals use."""

    keys: Mapping[str, bytes]
    current_id: str

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]

    def mac(self, key_id: str, message: str) -> str | None:
        """HMAC-SHA256 of `message` under key `key_id`, hex; None when that id is unknown."""
        key = self.keys.get(key_id)
        if key is None:
            return None
        return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def from_config(config: Mapping[str, Any]) -> Keyring:
    """The keyring a configuration describes; ConfigError when it is unusable."""
    keys: dict[str, bytes] = {}
    if config.get("SECRET_KEY"):
        keys[DEFAULT_KEY_ID] = derive(config["SECRET_KEY"])
    configured = setting("CONSOLE_AUDIT_KEYS", config) or {}
    if not isinstance(configured, Mapping):
        raise ConfigError("CONSOLE_AUDIT_KEYS must map key ids to secrets")
    for key_id, secret in configured.items():
        if not isinstance(key_id, str) or not KEY_ID.match(key_id):
            raise ConfigError(
                f"CONSOLE_AUDIT_KEYS: key id {key_id!r} must be 1 to 32 letters, digits, '.', "
                "'_' or '-'"
            )
        if not isinstance(secret, str | bytes) or len(secret) < 16:
            raise ConfigError(
                f"CONSOLE_AUDIT_KEYS[{key_id!r}] must be a secret of 16 characters or more"
            )
        keys[key_id] = derive(secret)
    current_id = setting("CONSOLE_AUDIT_KEY_ID", config) or DEFAULT_KEY_ID
    if current_id not in keys:
        raise ConfigError(
            f"CONSOLE_AUDIT_KEY_ID={current_id!r} names no key: add it to CONSOLE_AUDIT_KEYS"
        )
    return Keyring(keys, current_id)


# Sessions committed outside any application context (a script's or a thread's own
# Session) sign with the keyring of the application initialised last in this process.
_process_ring: Keyring | None = None


def init_app(app: Flask) -> None:
    """Check the keys once at start-up, and remember them for sessions without an app."""
    global _process_ring
    _process_ring = from_config(app.config)


def keyring() -> Keyring:
    """The keyring of the current application (else of the one initialised last)."""
    if has_app_context():
        return from_config(current_app.config)
    if _process_ring is None:
        raise RuntimeError("no audit keys: the console has not been initialised")
    return _process_ring
