"""Who is provisioning: a personal access token carrying the scim:provision scope, sent as
`Authorization: Bearer ...`. The caller is the token's owner narrowed to the token's scopes
that the owner still holds (console.api.tokens), checked on every request."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask_babel import lazy_gettext as _l
from scim2_models import ForbiddenException

from ..api import limits, tokens
from ..api.problems import ApiProblem
from ..core.signals import add_context

# The permission a token must carry (and its owner hold) to be used here.
SCOPE = "scim:provision"
CHALLENGE = 'Bearer realm="scim"'
INVALID = 'Bearer realm="scim", error="invalid_token"'

MESSAGES = {
    "missing": _l("Send a personal access token with the scim:provision scope as a bearer token."),
    "invalid": _l("The token is unknown, expired or revoked, or its owner is deactivated."),
    "scope": _l(
        "This token does not carry the scim:provision scope, or its owner no longer holds it."
    ),
}


def _bearer() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def authenticate() -> None:
    """before_request of the SCIM blueprint: set the caller, or refuse (401, 403, 429)."""
    secret = _bearer()
    found = tokens.authenticate(secret) if secret is not None else None
    if found is None:
        limits.spend(limits.for_address())
        raise ApiProblem(
            401,
            "invalid_token" if secret else "unauthenticated",
            MESSAGES["invalid" if secret else "missing"],
            headers={"WWW-Authenticate": INVALID if secret else CHALLENGE},
        )
    token, owner = found
    limits.spend(limits.for_token(token.key))
    tokens.record_use(token, owner, request.remote_addr)
    allowed = tokens.scoped_permissions(token, owner)
    if SCOPE not in allowed:
        raise ForbiddenException(detail=str(MESSAGES["scope"]))
    g.scim_token = token
    g.scim_actor = tokens.TokenActor(owner, allowed)
    # Every event this request causes names the provider by its token.
    add_context(via="scim", provider=token.name, token=token.key)


def actor() -> Any:
    """The provider as flows see it."""
    return g.scim_actor
