"""Who a rate-limited request counts against: the client address and the account it names."""

from __future__ import annotations

import hashlib

from flask import request, session
from flask_login import current_user

# Form or JSON fields that name the account a request is about.
IDENTITY_FIELDS = ("email", "username", "identity")


def client_address() -> str:
    """The client's address (ProxyFix, when configured, has already applied X-Forwarded-For)."""
    return f"ip:{request.remote_addr or 'unknown'}"


def account() -> str | None:
    """The account the request names, hashed (no address ever lands in the counter store)."""
    identity = None
    data = request.get_json(silent=True) if request.is_json else request.form
    if isinstance(data, dict) or hasattr(data, "get"):
        for name in IDENTITY_FIELDS:
            value = data.get(name)
            if isinstance(value, str) and value.strip():
                identity = f"id:{value.strip().casefold()}"
                break
    if identity is None and session.get("tf_user_id") is not None:
        # The second step of a two-factor sign-in: the account is in the session.
        identity = f"tf:{session['tf_user_id']}"
    if identity is None and current_user.is_authenticated:
        identity = f"user:{current_user.fs_uniquifier}"
    if identity is None:
        return None
    return "acct:" + hashlib.sha256(identity.encode()).hexdigest()[:32]
