"""Who is calling: a personal access token (`Authorization: Bearer ...`) or the browser
session (whose writes carry the CSRF header). Views read the caller with `actor()`."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..core.freshness import CREDENTIAL_ISSUED_AT
from ..extensions import csrf
from . import limits, tokens
from .problems import ApiProblem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CHALLENGE = 'Bearer realm="console"'
INVALID = 'Bearer realm="console", error="invalid_token"'


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def authenticate() -> None:
    """before_request of the API's resources: set the caller, or refuse with a 401 (or a
    429 once the caller's budget is spent: counted before the request writes anything)."""
    secret = _bearer()
    if secret is not None:
        found = tokens.authenticate(secret)
        if found is None:
            limits.spend(limits.for_address())
            raise ApiProblem(
                401,
                "invalid_token",
                _l("The token is unknown, expired or revoked, or its owner is deactivated."),
                headers={"WWW-Authenticate": INVALID},
            )
        token, owner = found
        limits.spend(limits.for_token(token.key))
        tokens.record_use(token, owner, request.remote_addr)
        g.api_token = token
        g.api_actor = tokens.TokenActor(owner, tokens.scoped_permissions(token, owner))
        # Freshness-protected flows accept a token only while it is recent: see
        # console.core.freshness (the token's creation needed a recent sign-in).
        g.setdefault(CREDENTIAL_ISSUED_AT, _timestamp(token.created_at))
        return
    if current_user.is_authenticated:
        limits.spend(limits.for_user(current_user.id))
        if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED"):
            # The API's blueprints are exempt from the app-wide check, which would refuse
            # token requests; a request riding on the session cookie still needs the token.
            csrf.protect()
        g.api_actor = current_user._get_current_object()
        return
    limits.spend(limits.for_address())
    raise ApiProblem(
        401,
        "unauthenticated",
        _l("Send a personal access token as “Authorization: Bearer …”, or sign in."),
        headers={"WWW-Authenticate": CHALLENGE},
    )


def _timestamp(moment: Any) -> float:
    # Stored times are naive UTC.
    return moment.replace(tzinfo=UTC).timestamp()


def actor() -> Any:
    """The caller as flows see them (a token's owner narrowed to the token's scopes)."""
    return g.api_actor


def account() -> Any:
    """The caller's account itself (for their own profile and tokens)."""
    caller = g.api_actor
    return caller.owner if isinstance(caller, tokens.TokenActor) else caller
