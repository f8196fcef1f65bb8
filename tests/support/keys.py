"""A stored security key for tests that need one on a page, not a WebAuthn ceremony."""

from __future__ import annotations

import os
from typing import Any

from flask_security import naive_utcnow


def add_stored_key(user_id: int, name: str, usage: str = "secondary") -> Any:
    """Add (not commit) a WebAuthn row with random key material to the session."""
    from console.extensions import db
    from console.models import WebAuthn

    key = WebAuthn(
        user_id=user_id,
        credential_id=os.urandom(32),
        public_key=os.urandom(77),
        sign_count=0,
        transports=["usb"],
        backup_state=False,
        device_type="single_device",
        name=name,
        usage=usage,
        lastuse_datetime=naive_utcnow(),
    )
    db.session.add(key)
    return key
