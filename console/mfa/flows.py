"""MFA changes with side effects: the account holder's two-factor methods, recovery codes
and passkeys, operator resets, break-glass codes, notices."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import after_this_request, current_app, g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_security import naive_utcnow
from sqlalchemy import select, update

from ..account.notify import send_notice
from ..core import actions, factors, policy, signals
from ..core.forms import REASON_MAX_LENGTH
from ..core.freshness import operator_window, user_window
from ..core.models import models
from ..core.notify import Phrase, notify
from ..extensions import db
from ..mixins import ConsoleUserMixin, ConsoleWebAuthnMixin
from ..sessions import flows as session_flows
from ..settings import setting
from .factors import APP_FACTORS, asked_as_second_factor
from .models import BreakGlassCode
from .webauthn.providers import provider_name


class MfaError(ValueError):
    """Bad input for an MFA change; the message is safe to show and nothing was changed.

    `code` names the refusal for API clients (the message is for people).
    """

    def __init__(self, message: Any, code: str = "mfa_refused") -> None:
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------- state


@dataclass(frozen=True)
class MfaState:
    """What a user has set up, without any secret (read off the factor registry)."""

    totp: bool
    email: bool
    recovery_codes: int
    keys: list[Any]
    break_glass_active: bool
    # Keys of the registered factors the user has set up, and of those that are second factors.
    factors: tuple[str, ...] = ()
    second_factors: tuple[str, ...] = ()

    @property
    def second_factor(self) -> bool:
        return bool(self.second_factors)

    @property
    def second_factor_keys(self) -> int:
        return sum(1 for key in self.keys if asked_as_second_factor(key.usage))

    @property
    def anything(self) -> bool:
        return bool(self.factors)


def mfa_state(user: ConsoleUserMixin) -> MfaState:
    """The user's factors (TOTP, email codes, recovery codes, keys) for display."""
    from flask_security.proxies import _datastore

    WebAuthn = models().WebAuthn
    keys = list(
        db.session.scalars(
            select(WebAuthn).where(WebAuthn.user_id == user.id).order_by(WebAuthn.id)
        )
    )
    found = factors.set_up(user)
    present = {factor.key for factor in found}
    return MfaState(
        totp=bool(present & set(APP_FACTORS)),
        email="email" in present,
        recovery_codes=len(_datastore.mf_get_recovery_codes(user)),
        keys=keys,
        break_glass_active="break_glass" in present,
        factors=tuple(factor.key for factor in found),
        second_factors=tuple(factor.key for factor in found if factor.second_factor),
    )


def has_second_factor(user: ConsoleUserMixin) -> bool:
    """True when a password sign-in would ask this user for a second factor."""
    return factors.has_second_factor(user)


def key_provider(key: ConsoleWebAuthnMixin) -> str | None:
    """The provider's name for a key's AAGUID (a label only)."""
    return provider_name(key.aaguid)


# ---------------------------------------------------------------- notices


def _notify_user(user: ConsoleUserMixin, action: str, **params: Any) -> None:
    """Tell `user` of a change they made, in the words `action` declares."""
    notify(
        user,
        "mfa/changed",
        _l("Your sign-in methods changed"),
        message=Phrase(actions.notice(action), **params),
    )


def _notify_operator_action(
    user: ConsoleUserMixin, action: str, reason: str, **params: Any
) -> None:
    """Tell `user` what an operator changed and the reason the operator gave."""
    notify(
        user,
        "mfa/operator_reset",
        _l("An operator changed your sign-in methods"),
        message=Phrase(actions.notice(action), **params),
        reason=reason,
    )


# ---------------------------------------------------------------- passkeys (self-service)


def record_registration(user: ConsoleUserMixin, name: str) -> None:
    """After Flask-Security stored a new key: keep its AAGUID, tell the user, audit it."""
    WebAuthn = models().WebAuthn
    key = db.session.scalar(
        select(WebAuthn).where(WebAuthn.user_id == user.id, WebAuthn.name == name)
    )
    if key is None:
        return
    key.aaguid = g.pop("console_wan_aaguid", None)

    # The audit trail records Flask-Security's wan_registered itself.
    # Flask-Security commits after this request; the notice is sent when it has.
    def _mail(response: Any) -> Any:
        _notify_user(user, "mfa.webauthn.registered", name=name)
        return response

    after_this_request(_mail)


def clean_key_name(
    user: ConsoleUserMixin, name: str | None, *, exclude_id: int | None = None
) -> str:
    """Flask-Security's name rules plus uniqueness per user; raises MfaError."""
    from flask_security.proxies import _security

    WebAuthn = models().WebAuthn
    if not name or not name.strip():
        raise MfaError(_("Enter a name for the key."))
    message, clean = _security.webauthn_util.name_svn(name.strip())
    if message or not clean:
        raise MfaError(str(message))
    clash = db.session.scalar(
        select(WebAuthn.id).where(
            WebAuthn.user_id == user.id,
            WebAuthn.name == clean,
            WebAuthn.id != (exclude_id or 0),
        )
    )
    if clash is not None:
        raise MfaError(_("You already have a key named “%(name)s”.", name=clean))
    return clean


def own_key(user: ConsoleUserMixin, key_id: int) -> ConsoleWebAuthnMixin | None:
    """The user's key with this id, or None (another user's key is never returned)."""
    WebAuthn = models().WebAuthn
    return db.session.scalar(
        select(WebAuthn).where(WebAuthn.id == key_id, WebAuthn.user_id == user.id)
    )


def rename_key(
    user: ConsoleUserMixin, key: ConsoleWebAuthnMixin, name: str | None
) -> ConsoleWebAuthnMixin:
    """Rename one of the user's keys; raises MfaError on a bad or duplicate name."""
    policy.require_fresh(user_window())
    clean = clean_key_name(user, name, exclude_id=key.id)
    old = key.name
    if clean == old:
        return key
    key.name = clean
    signals.emit("mfa.webauthn.renamed", actor=user, subject=user, changes={"name": [old, clean]})
    db.session.commit()
    _notify_user(user, "mfa.webauthn.renamed", old=old, name=clean)
    return key


def delete_key(user: ConsoleUserMixin, key: ConsoleWebAuthnMixin) -> None:
    """Delete one of the user's keys; Flask-Security's wan_deleted tells the audit trail."""
    from flask_security.proxies import _datastore
    from flask_security.signals import wan_deleted

    policy.require_fresh(user_window())
    name = key.name
    wan_deleted.send(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        _async_wrapper=current_app.ensure_sync,
        user=user,
        name=name,
    )
    _datastore.delete_webauthn(key)
    db.session.commit()
    _notify_user(user, "mfa.webauthn.removed", name=name)


# ---------------------------------------------------------------- second factors (self-service)

# Flask-Security's two-factor method names, as the audit trail spells them; any other
# method is recorded as "two_factor".
FACTOR_ACTIONS = {"authenticator": "totp", "google_authenticator": "totp", "email": "email"}


def _factor(method: str | None) -> str:
    return FACTOR_ACTIONS.get(method or "", "two_factor")


def _tell_if_declared(user: ConsoleUserMixin, action: str) -> None:
    # Only the named factors tell the account holder; "two_factor" declares no notice.
    if actions.notice(action) is not None:
        send_notice(user, action)


def second_factor_enabled(user: ConsoleUserMixin, method: str, previous: str | None) -> None:
    """A two-factor method was confirmed with a code (setup or a change of method).

    Flask-Security commits after its view; the audit events and the notice wait for it.
    """
    kind = _factor(method)
    was = _factor(previous) if previous else None
    if was and was != kind:
        # Flask-Security keeps one method: the new one replaced the old.
        signals.emit(f"mfa.{was}.disabled", actor=user, subject=user, replaced_by=kind)
    signals.emit(f"mfa.{kind}.enabled", actor=user, subject=user, replaced=was == kind)
    _tell_if_declared(user, f"mfa.{kind}.enabled")


def second_factor_disabled(user: ConsoleUserMixin, previous: str | None) -> None:
    """The account holder turned their two-factor method off."""
    kind = _factor(previous)
    signals.emit(f"mfa.{kind}.disabled", actor=user, subject=user)
    _tell_if_declared(user, f"mfa.{kind}.disabled")


def recovery_codes_generated(user: ConsoleUserMixin, count: int) -> None:
    """New recovery codes replaced the old ones (the codes themselves are never recorded)."""
    signals.emit("mfa.recovery_codes.generated", actor=user, subject=user, count=count)
    send_notice(user, "mfa.recovery_codes.generated", count=count)


def recovery_code_used(user: ConsoleUserMixin, remaining: int) -> None:
    """A recovery code completed a sign-in."""
    signals.emit("mfa.recovery_code.used", actor=user, subject=user, remaining=remaining)
    send_notice(user, "mfa.recovery_code.used", remaining=remaining)


# ---------------------------------------------------------------- operator actions


def clean_reason(reason: str | None) -> str:
    """The operator's reason, required and bounded; raises MfaError."""
    text = " ".join((reason or "").split())
    if not text:
        raise MfaError(_("Give a reason: the user will read it."), code="reason_required")
    if len(text) > REASON_MAX_LENGTH:
        raise MfaError(
            ngettext(
                "Keep the reason under %(num)d character.",
                "Keep the reason under %(num)d characters.",
                REASON_MAX_LENGTH,
            ),
            code="reason_too_long",
        )
    return text


def assert_may_reset(operator: ConsoleUserMixin, user: ConsoleUserMixin) -> None:
    """Never on oneself (the account pages do that), never on an account that outranks."""
    if operator is not None and operator.id == user.id:
        raise MfaError(_("Change your own sign-in methods from your account pages."))
    policy.require(operator, "mfa:reset", target=user)


def _assert_operator_may_reset(operator: ConsoleUserMixin, user: ConsoleUserMixin) -> None:
    """The operator actions' rules: who may act on whom, then a recent sign-in."""
    assert_may_reset(operator, user)
    policy.require_fresh(operator_window())


def may_reset(operator: ConsoleUserMixin, user: ConsoleUserMixin) -> bool:
    """True when the operator actions below would accept `operator` acting on `user`."""
    return policy.may(operator, "mfa:reset", target=user, allow_self=False)


def _end_sessions(operator: ConsoleUserMixin, user: ConsoleUserMixin) -> None:
    """End the user's sessions through the sessions feature, when it is installed.

    The ends join the caller's transaction, so the reset and the ends commit together.
    """
    if "console.sessions" in current_app.extensions["console"].features:
        session_flows.end_all_sessions(user, actor=operator, reason="mfa_changed", commit=False)


def remove_key(operator: ConsoleUserMixin, key: ConsoleWebAuthnMixin, reason: str | None) -> None:
    """An operator removes one of a user's keys."""
    from flask_security.proxies import _datastore

    User = models().User
    user = db.session.get(User, key.user_id)
    assert user is not None
    _assert_operator_may_reset(operator, user)
    text = clean_reason(reason)
    name = key.name
    _datastore.delete_webauthn(key)
    signals.emit("mfa.webauthn.removed", actor=operator, subject=user, name=name, reason=text)
    db.session.commit()
    _notify_operator_action(user, "mfa.webauthn.removed", text, name=name)


def reset_totp(operator: ConsoleUserMixin, user: ConsoleUserMixin, reason: str | None) -> None:
    """An operator resets the user's authenticator app (two-factor and unified sign-in)."""
    _assert_operator_may_reset(operator, user)
    text = clean_reason(reason)
    apps = [factor for factor in factors.set_up(user) if factor.key in APP_FACTORS]
    if not apps:
        raise MfaError(_("This user has no authenticator app to reset."))
    for factor in apps:
        factor.reset(user)
    signals.emit("mfa.totp.reset", actor=operator, subject=user, reason=text)
    _end_sessions(operator, user)
    db.session.commit()
    _notify_operator_action(user, "mfa.totp.reset", text)


def reset_all(operator: ConsoleUserMixin, user: ConsoleUserMixin, reason: str | None) -> None:
    """An operator removes every second factor: TOTP, email codes, keys, recovery codes."""
    from flask_security.proxies import _datastore

    _assert_operator_may_reset(operator, user)
    text = clean_reason(reason)
    before = mfa_state(user)
    for factor in factors.registered():
        factor.reset(user)
    # Email sign-in codes of unified sign-in replace the password rather than add to it,
    # so no factor owns them; a reset of everything has always cleared them too.
    _datastore.us_reset(user)
    signals.emit(
        "mfa.reset",
        actor=operator,
        subject=user,
        reason=text,
        removed={
            "totp": before.totp,
            "email": before.email,
            "keys": len(before.keys),
            "recovery_codes": before.recovery_codes,
        },
    )
    _end_sessions(operator, user)
    db.session.commit()
    _notify_operator_action(user, "mfa.reset", text)


# ---------------------------------------------------------------- break-glass


def _digest(code: str) -> str:
    key = hashlib.sha256(f"break-glass:{current_app.config['SECRET_KEY']}".encode()).digest()
    normalized = "".join(code.split()).lower()
    return hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()


def _expire_break_glass(user: ConsoleUserMixin) -> None:
    now = naive_utcnow()
    db.session.execute(
        update(BreakGlassCode)
        .where(
            BreakGlassCode.user_id == user.id,
            BreakGlassCode.used_at.is_(None),
            BreakGlassCode.expires_at > now,
        )
        .values(expires_at=now)
    )


def issue_break_glass(
    operator: ConsoleUserMixin, user: ConsoleUserMixin, reason: str | None
) -> tuple[str, Any]:
    """Issue one short-lived recovery code; returns (code, expiry). Older codes stop working."""
    _assert_operator_may_reset(operator, user)
    text = clean_reason(reason)
    if not has_second_factor(user):
        raise MfaError(
            _("This user has no second factor, so a password sign-in needs no recovery code.")
        )
    ttl: timedelta = setting("CONSOLE_MFA_BREAKGLASS_TTL")
    code = "-".join(secrets.token_hex(3) for _ in range(4))
    now = naive_utcnow()
    _expire_break_glass(user)
    record = BreakGlassCode(
        user_id=user.id,
        issued_by_id=operator.id,
        code_digest=_digest(code),
        created_at=now,
        expires_at=now + ttl,
    )
    db.session.add(record)
    signals.emit(
        "mfa.breakglass.issued",
        actor=operator,
        subject=user,
        reason=text,
        expires_at=record.expires_at.isoformat(),
    )
    db.session.commit()
    _notify_operator_action(user, "mfa.breakglass.issued", text)
    return code, record.expires_at


MAX_BREAK_GLASS_ATTEMPTS = 5


def second_step_user() -> ConsoleUserMixin | None:
    """The user who gave their password in this session and now owes a second factor."""
    from flask import session
    from flask_security.proxies import _datastore

    uniquifier = session.get("tf_user_id")
    if not uniquifier or not (session.get("tf_state") == "ready" or session.get("tf_select")):
        return None
    return _datastore.find_user(fs_uniquifier=uniquifier)


def sign_in_with_break_glass(user: ConsoleUserMixin, code: str | None) -> str:
    """Complete the pending second step with an operator's code.

    Returns "signed_in", "invalid", or "too_many" (the pending sign-in is dropped and the
    password must be given again: guessing stops after MAX_BREAK_GLASS_ATTEMPTS).
    """
    from flask import session
    from flask_security.proxies import _security
    from flask_security.tf_plugin import tf_clean_session

    if use_break_glass(user, code):
        session.pop("console_break_glass_attempts", None)
        _security.two_factor_plugins.tf_complete(user, True)
        return "signed_in"
    attempts = session.get("console_break_glass_attempts", 0) + 1
    session["console_break_glass_attempts"] = attempts
    if attempts < MAX_BREAK_GLASS_ATTEMPTS:
        return "invalid"
    session.pop("console_break_glass_attempts", None)
    tf_clean_session()
    return "too_many"


def use_break_glass(user: ConsoleUserMixin, code: str | None) -> bool:
    """Spend a break-glass code of `user`: True once, atomically, while it is unexpired."""
    if not code or len(code) > 64:
        return False
    now = naive_utcnow()
    result = db.session.execute(
        update(BreakGlassCode)
        .where(
            BreakGlassCode.user_id == user.id,
            BreakGlassCode.code_digest == _digest(code),
            BreakGlassCode.used_at.is_(None),
            BreakGlassCode.expires_at > now,
        )
        .values(used_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        return False
    signals.emit("mfa.breakglass.used", actor=user, subject=user)
    db.session.commit()
    _notify_user(user, "mfa.breakglass.used")
    return True
