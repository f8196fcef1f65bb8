"""Secret redaction for event details: what must never reach the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"

# Exact names of secret columns and arguments.
SECRET_NAMES = frozenset(
    {
        "password",
        "tf_totp_secret",
        "mf_recovery_codes",
        "us_totp_secrets",
        "fs_uniquifier",
        "fs_webauthn_user_handle",
        "fs_token_uniquifier",
        "public_key",
        "credential_id",
        "tokens",
        "codes",
        "token",
        "code",
        "secret",
    }
)
# Any name containing one of these is treated as secret too (password_confirm,
# reset_token, recovery_codes, totp_secret ...).
SECRET_PARTS = ("password", "secret", "token", "code", "uniquifier", "user_handle", "credential")


def is_secret(name: str) -> bool:
    """True for a field or argument name that holds a secret."""
    lowered = name.lower()
    return lowered in SECRET_NAMES or any(part in lowered for part in SECRET_PARTS)


def redact(value: Any, *, diff: bool = False) -> Any:
    """A copy of `value` with every secret-named entry replaced, at any depth.

    In a `changes` mapping ({field: [before, after]}) a secret field keeps its entry, so the
    trail still says that it changed, but both values are replaced.
    """
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key)
            if is_secret(name):
                result[name] = [REDACTED, REDACTED] if diff else REDACTED
            else:
                result[name] = redact(item, diff=name == "changes" and isinstance(item, Mapping))
        return result
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact(item) for item in value]
    return value
