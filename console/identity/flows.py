"""Sign-in through identity providers and the identities linked to accounts: the one path
for the providers' callbacks (sign-in and re-authentication), the security page's link and
unlink, and the operators' removal. Each asserts its own rules."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_security import naive_utcnow
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..account.notify import send_notice
from ..accounts import create_account, find_user_by_email
from ..core import actions, dates, mfa_waiver, policy
from ..core.emails import EmailInUseError
from ..core.forms import REASON_MAX_LENGTH
from ..core.freshness import user_window
from ..core.models import models
from ..core.notify import Phrase, notify
from ..core.signals import add_context, emit
from ..core.transactions import atomic
from ..extensions import db
from .config import Provider, parse
from .models import LinkedIdentity
from .providers import Claims

# How long a link started on the security page may take at the provider.
LINK_WITHIN = 600

MESSAGES: dict[str, Any] = {
    "not_linked": _l(
        "This %(provider)s account is not linked to an account here. Sign in another way, "
        "then link %(provider)s on your security page."
    ),
    "unverified": _l(
        "%(provider)s did not confirm that the address %(email)s is yours, so it cannot sign "
        "you in here."
    ),
    "not_yours": _l(
        "This %(provider)s account is not linked to your account, so it cannot confirm it is you."
    ),
    "taken": _l("This %(provider)s account is already linked to another account."),
    "already_linked": _l(
        "Your account is already linked to %(provider)s. Unlink it first to link another "
        "%(provider)s account."
    ),
    "link_expired": _l(
        "Linking %(provider)s took too long or was not started here. Start again from your "
        "security page."
    ),
    "last_method": _l(
        "%(provider)s is the only way you can sign in. Set a password or add a passkey before "
        "you unlink it."
    ),
    "unknown_provider": _l("No sign-in provider of that name is configured."),
    "reason_required": _l("Give a reason: the user will read it."),
    "reason_too_long": lazy_ngettext(
        "Keep the reason under %(num)d character.",
        "Keep the reason under %(num)d characters.",
        REASON_MAX_LENGTH,
    ),
}


class IdentityError(Exception):
    """A provider sign-in, link or unlink refused before anything changed; the message says
    why, in words for the person who asked."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        message = MESSAGES[code]
        super().__init__(str(message % params) if params else str(message))


# ---------------------------------------------------------------- reading


def providers() -> dict[str, Provider]:
    """The configured providers by name."""
    return parse(current_app.config)


def provider(name: str) -> Provider:
    """The configured provider `name`; raises IdentityError."""
    found = providers().get(name)
    if found is None:
        raise IdentityError("unknown_provider")
    return found


def label(name: str) -> str:
    """What people call the provider stored as `name` (its name when no longer configured)."""
    found = providers().get(name)
    return found.label if found is not None else name


@dataclass(frozen=True)
class Linked:
    """One live link, as the pages show it."""

    identity: LinkedIdentity
    label: str
    configured: bool


def linked(user: Any) -> list[Linked]:
    """The live links of `user`, by provider."""
    configured = providers()
    rows = db.session.scalars(
        select(LinkedIdentity)
        .where(LinkedIdentity.user_id == user.id, LinkedIdentity.unlinked_at.is_(None))
        .order_by(LinkedIdentity.provider, LinkedIdentity.id)
    )
    return [
        Linked(
            row,
            configured[row.provider].label if row.provider in configured else row.provider,
            row.provider in configured,
        )
        for row in rows
    ]


def _row(provider_name: str, subject: str) -> LinkedIdentity | None:
    return db.session.scalar(
        select(LinkedIdentity).where(
            LinkedIdentity.provider == provider_name, LinkedIdentity.subject == subject
        )
    )


def _rows_of(user: Any, provider_name: str) -> list[LinkedIdentity]:
    return list(
        db.session.scalars(
            select(LinkedIdentity).where(
                LinkedIdentity.user_id == user.id, LinkedIdentity.provider == provider_name
            )
        )
    )


def own_identity(user: Any, identity_id: int) -> LinkedIdentity | None:
    """`user`'s live link `identity_id`, or None."""
    row = db.session.get(LinkedIdentity, identity_id)
    if row is None or row.user_id != user.id or row.unlinked_at is not None:
        return None
    return row


def live_identity(identity_id: int) -> LinkedIdentity | None:
    """The live link `identity_id`, or None."""
    row = db.session.get(LinkedIdentity, identity_id)
    return row if row is not None and row.unlinked_at is None else None


def has_passkey(user: Any) -> bool:
    """True when `user` has a passkey that signs in on its own (a first factor)."""
    WebAuthn = models().WebAuthn
    found = db.session.scalar(
        select(WebAuthn.id).where(WebAuthn.user_id == user.id, WebAuthn.usage == "first").limit(1)
    )
    return found is not None


def is_last_way_in(user: Any, identity: LinkedIdentity) -> bool:
    """True when `identity` is the only way `user` can sign in: no password, no passkey and
    no other link to a configured provider."""
    if user.password or has_passkey(user):
        return False
    others = [item for item in linked(user) if item.configured and item.identity.id != identity.id]
    return not others


# ---------------------------------------------------------------- provider sign-in


def _seen(row: LinkedIdentity, claims: Claims) -> None:
    row.last_used_at = naive_utcnow()
    if claims.email:
        row.email = claims.email[:320]


def _refuse(code: str, found: Provider, claims: Claims, reason: str, subject: Any = None) -> Any:
    """Record a refused provider sign-in and raise IdentityError."""
    db.session.rollback()
    emit(
        "identity.refused",
        actor=None,
        subject=subject,
        provider=found.name,
        reason=reason,
        email=claims.email,
    )
    db.session.commit()
    raise IdentityError(code, provider=found.label, email=claims.email or "")


def _matchable(user: Any, found: Provider) -> bool:
    """May a first sign-in with `found` be linked to `user` by its verified address? Never once
    the account was linked to that provider (even if unlinked since), and only for an address
    the account confirmed, or an invitation not yet accepted (no password)."""
    if _rows_of(user, found.name):
        return False
    return user.confirmed_at is not None or not user.password


def _new_link(user: Any, found: Provider, claims: Claims) -> LinkedIdentity:
    now = naive_utcnow()
    row = LinkedIdentity(
        user_id=user.id,
        provider=found.name,
        subject=claims.sub,
        email=(claims.email or "")[:320] or None,
        created_at=now,
        last_used_at=now,
    )
    db.session.add(row)
    return row


def _trusted(found: Provider, user: Any) -> None:
    """The sign-in of `user` through `found`: named in its events, and counted as
    multi-factor when the policy says so."""
    add_context(provider=found.name)
    if found.satisfies_mfa:
        mfa_waiver.waive(user)


@atomic
def sign_in(found: Provider, claims: Claims) -> Any:
    """The account a provider's sign-in is for: the one linked to its `sub`; on a first
    sign-in, the account with its verified address (when the policy allows) or a new one
    (when the policy allows). Raises IdentityError; Flask-Security then checks the account
    (active, not locked) and asks for the second factor."""
    User = models().User
    row = _row(found.name, claims.sub)
    if row is not None:
        user = db.session.get(User, row.user_id)
        if row.unlinked_at is not None:
            return _refuse("not_linked", found, claims, "unlinked", subject=user)
        _seen(row, claims)
        db.session.commit()
        _trusted(found, user)
        return user
    if not (found.match_email or found.create_accounts):
        return _refuse("not_linked", found, claims, "not_linked")
    if not claims.email or not claims.email_verified:
        return _refuse("unverified", found, claims, "unverified")
    existing = find_user_by_email(claims.email)
    if existing is not None:
        # The canonical lookup also finds an account whose address merely looks the same
        # ("examp1e.com"): only the very address is ever matched.
        same = existing.email.casefold() == claims.email.strip().casefold()
        if not (same and found.match_email and _matchable(existing, found)):
            return _refuse("not_linked", found, claims, "not_linked", subject=existing)
        if not existing.active:
            # Flask-Security says the account is deactivated; nothing is linked to it.
            return existing
        _link_by_address(existing, found, claims)
        _trusted(found, existing)
        return existing
    if not found.create_accounts:
        return _refuse("not_linked", found, claims, "no_account")
    user = _create(found, claims)
    _trusted(found, user)
    return user


def _link_by_address(user: Any, found: Provider, claims: Claims) -> None:
    confirmed = user.confirmed_at is None
    if confirmed:
        # The provider vouched for the address: the invitation's mailbox is proven.
        user.confirmed_at = naive_utcnow()
    _new_link(user, found, claims)
    _announce_link(user, found, claims, how="verified_address", confirmed=confirmed)


def _announce_link(user: Any, found: Provider, claims: Claims, **details: Any) -> None:
    """A new link of `user` to `found`: recorded, committed, and the holder told by mail
    (a provider that can sign in to an account is worth knowing about)."""
    emit(
        "identity.linked",
        actor=user,
        subject=user,
        provider=found.name,
        email=claims.email,
        **details,
    )
    _commit(found, claims)
    send_notice(user, "identity.linked", provider=found.label)


def _create(found: Provider, claims: Claims) -> Any:
    try:
        user = create_account(claims.email or "", None, name=claims.name, confirmed=True)
    except (EmailInUseError, ValueError):
        # Another request took the address meanwhile, or the address is not one we take.
        return _refuse("not_linked", found, claims, "no_account")
    db.session.flush()
    _new_link(user, found, claims)
    emit(
        "identity.account_created",
        actor=user,
        subject=user,
        provider=found.name,
        email=user.email,
    )
    _commit(found, claims)
    return user


def _commit(found: Provider, claims: Claims) -> None:
    try:
        db.session.commit()
    except (IntegrityError, EmailInUseError):
        # The same provider account was linked by another request at the same moment.
        db.session.rollback()
        raise IdentityError("taken", provider=found.label) from None


@atomic
def confirm_identity(user: Any, found: Provider, claims: Claims) -> Any:
    """Re-authentication through a provider: only an identity linked to `user` confirms it
    is them (never an address). Returns `user`; raises IdentityError."""
    row = _row(found.name, claims.sub)
    if row is None or row.unlinked_at is not None or row.user_id != user.id:
        raise IdentityError("not_yours", provider=found.label)
    _seen(row, claims)
    db.session.commit()
    return user


# ---------------------------------------------------------------- the account holder's links


def start_link(user: Any, name: str) -> Provider:
    """Before sending `user` to the provider to link it: a recent sign-in, a configured
    provider, no live link to it yet. Returns the provider; raises IdentityError or
    PolicyError."""
    found = provider(name)
    policy.require_fresh(user_window())
    if any(row.unlinked_at is None for row in _rows_of(user, found.name)):
        raise IdentityError("already_linked", provider=found.label)
    return found


@atomic
def complete_link(user: Any, found: Provider, claims: Claims, started_at: float | None) -> bool:
    """Link the provider's account to `user` after the provider answered a link started by
    `start_link` (at `started_at`, a Unix time). Returns False when it was already linked to
    `user`; raises IdentityError."""
    if started_at is None or not 0 <= time.time() - started_at <= LINK_WITHIN:
        raise IdentityError("link_expired", provider=found.label)
    row = _row(found.name, claims.sub)
    if row is not None and row.unlinked_at is None:
        if row.user_id != user.id:
            raise IdentityError("taken", provider=found.label)
        _seen(row, claims)
        db.session.commit()
        return False
    if any(other.unlinked_at is None for other in _rows_of(user, found.name)):
        raise IdentityError("already_linked", provider=found.label)
    if row is None:
        _new_link(user, found, claims)
    else:
        # Linked again (to this account or, by its holder's choice, to another one).
        now = naive_utcnow()
        row.user_id, row.created_at, row.last_used_at, row.unlinked_at = user.id, now, now, None
        row.email = (claims.email or "")[:320] or None
    _announce_link(user, found, claims, how="security_page")
    return True


@atomic
def unlink(user: Any, identity: LinkedIdentity) -> None:
    """The account holder unlinks one of their providers: a recent sign-in, and never the
    last way they can sign in. Its next sign-in is refused."""
    policy.require_fresh(user_window())
    if identity.user_id != user.id or identity.unlinked_at is not None:
        raise IdentityError("not_yours", provider=label(identity.provider))
    name = label(identity.provider)
    if is_last_way_in(user, identity):
        raise IdentityError("last_method", provider=name)
    identity.unlinked_at = naive_utcnow()
    emit(
        "identity.unlinked",
        actor=user,
        subject=user,
        provider=identity.provider,
        email=identity.email,
    )
    db.session.commit()
    send_notice(user, "identity.unlinked", provider=name)


# ---------------------------------------------------------------- personal data


def personal_data(user: Any) -> list[dict[str, Any]]:
    """Every identity linked to `user`, live or unlinked, for the export of their data."""
    rows = db.session.scalars(
        select(LinkedIdentity)
        .where(LinkedIdentity.user_id == user.id)
        .order_by(LinkedIdentity.created_at, LinkedIdentity.id)
    )
    return [
        {
            "provider": row.provider,
            "subject": row.subject,
            "email": row.email,
            "linked_at": _iso(row.created_at),
            "last_used_at": _iso(row.last_used_at),
            "unlinked_at": _iso(row.unlinked_at),
        }
        for row in rows
    ]


def erase_personal_data(user: Any) -> None:
    """Forget every identity linked to `user` (inside the deletion's transaction)."""
    db.session.execute(delete(LinkedIdentity).where(LinkedIdentity.user_id == user.id))


def _iso(value: Any) -> str | None:
    return dates.iso_utc(value) if value is not None else None


# ---------------------------------------------------------------- operators


def clean_reason(reason: str | None) -> str:
    """The operator's reason, required and bounded; raises IdentityError."""
    text = " ".join((reason or "").split())
    if not text:
        raise IdentityError("reason_required")
    if len(text) > REASON_MAX_LENGTH:
        raise IdentityError("reason_too_long")
    return text


def may_remove(actor: Any, user: Any) -> bool:
    """True when `remove` would accept `actor` acting on `user`'s links (pages ask this)."""
    return policy.may(actor, "users:write", target=user, allow_self=False)


@atomic
def remove(actor: Any, identity: LinkedIdentity, reason: str | None) -> None:
    """An operator removes a link (a lost or compromised provider account), with a reason
    the user reads; its next sign-in is refused. Even the account's last way in may go: the
    user can still get a password reset."""
    User = models().User
    user = db.session.get(User, identity.user_id)
    assert user is not None
    policy.require(actor, "users:write", target=user, allow_self=False)
    text = clean_reason(reason)
    if identity.unlinked_at is not None:
        return
    name = label(identity.provider)
    identity.unlinked_at = naive_utcnow()
    emit(
        "identity.removed",
        actor=actor,
        subject=user,
        provider=identity.provider,
        email=identity.email,
        reason=text,
    )
    db.session.commit()
    notify(
        user,
        "identity/removed",
        _l("An operator changed your sign-in methods"),
        message=Phrase(actions.notice("identity.removed"), provider=name),
        reason=text,
    )
