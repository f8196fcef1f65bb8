"""Personal access tokens: created, listed and revoked by their owner or an operator, and
checked on every API request. One path for the security page, the operators' user page,
the JSON API and tests.

A token carries a subset of its owner's permissions as scopes. It never carries more than
the owner holds *now*: every request is allowed the scopes the owner still holds through
their roles (a role taken away narrows every token at once), and flows see the caller as a
`TokenActor` whose permissions are that intersection.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_security import naive_utcnow
from sqlalchemy import select

from ..account.notify import send_notice
from ..core import policy
from ..core.freshness import user_window
from ..core.models import models
from ..core.permissions import is_declared
from ..core.signals import emit
from ..core.transactions import atomic
from ..extensions import db
from ..settings import setting
from .models import AccessToken

# Every token starts with this, so that secret scanners and people recognise one.
TOKEN_PREFIX = "sct_"  # noqa: S105 - a marker, not a secret
# The permission that lets an operator see and revoke other users' tokens: a token is a
# credential like a session, so the sessions permissions govern both.
READ_OTHERS = "sessions:read"
REVOKE_OTHERS = "sessions:revoke"
# Use of a token writes its last-use time at most this often (a new address always writes).
TOUCH_INTERVAL = timedelta(minutes=1)
NAME_MAX_LENGTH = 80

MESSAGES: dict[str, Any] = {
    "name_required": _l("Give the token a name, so that you can recognise it later."),
    "name_too_long": lambda num: lazy_ngettext(
        "Keep the name under %(num)d character.", "Keep the name under %(num)d characters.", num
    ),
    "scope_unheld": _l(
        "You cannot give a token the permission %(permission)s: you do not hold it."
    ),
    "expiry_past": _l("Choose an expiry date in the future."),
    "expiry_too_far": lambda num: lazy_ngettext(
        "A token may live at most %(num)d day.", "A token may live at most %(num)d days.", num
    ),
}


class TokenError(Exception):
    """A token request refused before anything was written; the message says why."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        message = MESSAGES[code]
        # Counted messages are built for their number, so that the plural form fits it.
        text = message(**params) if callable(message) else message % params
        super().__init__(str(text))


def digest(secret: str) -> str:
    """SHA-256 of a token: the only form the database ever sees (a token has 256 random
    bits, so a slow hash would add nothing but latency to every request)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def max_lifetime() -> timedelta:
    """The longest lifetime a new token may have."""
    return setting("CONSOLE_API_TOKEN_MAX_LIFETIME")


@dataclass(frozen=True)
class Created:
    """A new token and its secret, which is shown once and never stored."""

    token: AccessToken
    secret: str


def _clean_scopes(owner: Any, scopes: Iterable[str]) -> list[str]:
    held = policy.permissions_of(owner)
    # No scope at all is a token for the holder's own account endpoints only.
    wanted = list(dict.fromkeys(s.strip() for s in scopes if s and s.strip()))
    for name in wanted:
        if name not in held or not is_declared(name):
            raise TokenError("scope_unheld", permission=name)
    return wanted


@atomic
def create_token(owner: Any, *, name: str, scopes: Iterable[str], expires_at: datetime) -> Created:
    """A new token of `owner` (who must have signed in recently) with a subset of their
    permissions; the secret is in the result only."""
    # A token is a new credential: the same recent sign-in as changing one's own keys.
    policy.require_fresh(user_window())
    clean_name = " ".join((name or "").split())
    if not clean_name:
        raise TokenError("name_required")
    if len(clean_name) > NAME_MAX_LENGTH:
        raise TokenError("name_too_long", num=NAME_MAX_LENGTH)
    wanted = _clean_scopes(owner, scopes)
    now = naive_utcnow()
    if expires_at <= now:
        raise TokenError("expiry_past")
    if expires_at > now + max_lifetime() + timedelta(days=1):
        raise TokenError("expiry_too_far", num=max_lifetime().days)
    key = secrets.token_hex(8)
    secret = f"{TOKEN_PREFIX}{key}_{secrets.token_urlsafe(32)}"
    token = AccessToken(
        key=key,
        token_hash=digest(secret),
        user_id=owner.id,
        name=clean_name,
        scopes=",".join(wanted),
        created_at=now,
        expires_at=expires_at,
    )
    db.session.add(token)
    emit(
        "api.token.created",
        actor=owner,
        subject=owner,
        name=clean_name,
        key=key,
        scopes=wanted,
        expires_at=expires_at.isoformat(),
    )
    db.session.commit()
    send_notice(owner, "api.token.created", name=clean_name)
    return Created(token, secret)


def tokens_of(user: Any) -> list[AccessToken]:
    """Every token of `user` that still works, newest first."""
    stmt = (
        select(AccessToken)
        .where(
            AccessToken.user_id == user.id,
            AccessToken.revoked_at.is_(None),
            AccessToken.expires_at > naive_utcnow(),
        )
        .order_by(AccessToken.created_at.desc(), AccessToken.id.desc())
    )
    return list(db.session.scalars(stmt))


def find(key: str, user_id: int | None = None) -> AccessToken | None:
    """The token with public handle `key` (of `user_id` when given)."""
    stmt = select(AccessToken).where(AccessToken.key == key)
    if user_id is not None:
        stmt = stmt.where(AccessToken.user_id == user_id)
    return db.session.scalar(stmt)


def may_manage(actor: Any, owner: Any) -> bool:
    """True when `actor` may revoke the tokens of `owner` (their own, or by permission)."""
    return policy.may(actor, REVOKE_OTHERS, target=owner)


@atomic
def revoke_token(actor: Any, token: AccessToken) -> bool:
    """Revoke `token` (its owner, or an operator who may end the owner's sessions); True
    when it still worked. Takes effect on the next request on every worker."""
    owner = db.session.get(models().User, token.user_id)
    policy.require(actor, REVOKE_OTHERS, target=owner)
    if token.revoked_at is not None:
        return False
    token.revoked_at = naive_utcnow()
    token.revoked_by_id = actor.id if actor is not None else None
    emit("api.token.revoked", actor=actor, subject=owner, name=token.name, key=token.key)
    db.session.commit()
    if actor is None or actor.id != token.user_id:
        send_notice(owner, "api.token.revoked", name=token.name)
    return True


def authenticate(secret: str) -> tuple[AccessToken, Any] | None:
    """The live token and its active owner for `secret`, in one indexed query; else None."""
    User = models().User
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    row = db.session.execute(
        select(AccessToken, User)
        .join(User, User.id == AccessToken.user_id)
        .where(AccessToken.token_hash == digest(secret))
    ).first()
    if row is None:
        return None
    token, owner = row
    if token.revoked_at is not None or token.expires_at <= naive_utcnow() or not owner.active:
        return None
    return token, owner


def record_use(token: AccessToken, owner: Any, address: str | None) -> None:
    """Note when and where `token` was used; a use from another address is audited."""
    now = naive_utcnow()
    address = (address or "")[:64] or None
    moved = address != token.last_ip
    if not moved and token.last_used_at and now - token.last_used_at < TOUCH_INTERVAL:
        return
    if moved and token.last_ip is not None:
        emit(
            "api.token.used_new_address",
            actor=owner,
            subject=owner,
            name=token.name,
            key=token.key,
            previous_ip=token.last_ip,
        )
    token.last_used_at = now
    token.last_ip = address
    db.session.commit()


def scoped_permissions(token: AccessToken, owner: Any) -> frozenset[str]:
    """What a request with `token` may do: its scopes that the owner still holds."""
    return frozenset(token.scope_list) & frozenset(policy.permissions_of(owner))


class ScopeRole:
    """The one role a `TokenActor` has: the token's allowed permissions."""

    id = None
    name = "api-token"

    def __init__(self, permissions: frozenset[str]) -> None:
        self._permissions = permissions

    def get_permissions(self) -> set[str]:
        return set(self._permissions)


class TokenActor:
    """The owner of a token as flows see them on a request that carries it.

    Everything is the owner's (id, email, ...), except the permissions: `has_permission` and
    `roles` (which the policy reads for "who may act on whom" and for grants) answer with
    the token's allowed permissions only, so no flow can do more with a token than it says.
    """

    def __init__(self, owner: Any, permissions: frozenset[str]) -> None:
        self._owner = owner
        self.permissions = permissions
        self.roles = [ScopeRole(permissions)]

    def has_permission(self, permission: str) -> bool:
        return permission in self.permissions

    def __getattr__(self, name: str) -> Any:
        return getattr(self._owner, name)

    @property
    def owner(self) -> Any:
        """The account itself (for reads that are not about permissions)."""
        return self._owner
