"""Provider names for passkeys by AAGUID: a label for people, never a trust decision."""

from __future__ import annotations

import json
import uuid
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "passkey-aaguids.json"

# An authenticator that does not say what it is reports the all-zero AAGUID.
UNKNOWN_AAGUID = "00000000-0000-0000-0000-000000000000"


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    with DATA_FILE.open(encoding="utf-8") as handle:
        data = json.load(handle)
    return {str(key).lower(): str(value) for key, value in data.items()}


def normalize_aaguid(value: str | bytes | None) -> str | None:
    """The AAGUID as a lowercase dashed string, or None when absent or all zeros."""
    if value is None or value == "":
        return None
    try:
        text = str(uuid.UUID(bytes=value)) if isinstance(value, bytes) else str(uuid.UUID(value))
    except ValueError:
        return None
    return None if text == UNKNOWN_AAGUID else text


def provider_name(aaguid: str | None) -> str | None:
    """ "iCloud Keychain", "1Password", ... for a known AAGUID, else None."""
    normalized = normalize_aaguid(aaguid)
    return _names().get(normalized) if normalized else None
