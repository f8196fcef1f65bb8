"""Self-service changes to an account: the one path that saves, signals and mails."""

from __future__ import annotations

from typing import Any

from flask_security import naive_utcnow

from ..core.signals import emit
from ..extensions import db
from .notify import NOTICES, send_notice

# Profile fields a user may set on their own account; nothing else is ever written.
PROFILE_FIELDS = ("name", "locale", "timezone")

# Flask-Security's two-factor method names, as the audit trail spells them.
FACTOR_ACTIONS = {"authenticator": "totp", "google_authenticator": "totp", "email": "email"}


def real(user: Any) -> Any:
    """The User behind Flask-Login's current_user proxy (or `user` itself)."""
    getter = getattr(user, "_get_current_object", None)
    return getter() if getter else user


def update_profile(user: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Save the profile fields in `values`; returns the changes (empty when none)."""
    changes: dict[str, list[Any]] = {}
    for name in PROFILE_FIELDS:
        if name not in values:
            continue
        before, after = getattr(user, name), values[name] or None
        if before != after:
            changes[name] = [before, after]
            setattr(user, name, after)
    if not changes:
        return changes
    db.session.commit()
    emit("account.profile.updated", actor=user, subject=user, changes=changes)
    send_notice(user, "account.profile.updated")
    return changes


def password_changed(user: Any, how: str | None) -> None:
    """Record when the password was set; `how` ("changed", "reset") names a self-service
    change to signal, None an operator's (which the operator's flow signals)."""
    user = real(user)
    user.password_changed_at = naive_utcnow()
    db.session.add(user)
    # Flask-Security commits after its view; the password mail is Flask-Security's own.
    if how:
        emit(f"account.password.{how}", actor=user, subject=user)


def email_change_requested(user: Any, new_email: str) -> None:
    """The user asked to move their account to `new_email` (confirmation mail sent)."""
    user = real(user)
    emit("account.email.change_requested", actor=user, subject=user, new_email=new_email)


def email_changed(user: Any, old_email: str) -> None:
    """The new address was confirmed: tell the old address, which may not be the user's now."""
    user = real(user)
    emit(
        "account.email.changed",
        actor=user,
        subject=user,
        changes={"email": [old_email, user.email]},
    )
    send_notice(user, "account.email.changed", recipient=old_email, new_email=user.email)


def second_factor_enabled(user: Any, method: str, previous: str | None) -> None:
    """A two-factor method was confirmed with a code (setup or a change of method)."""
    user = real(user)
    kind = FACTOR_ACTIONS.get(method, method)
    was = FACTOR_ACTIONS.get(previous or "", previous)
    if was and was != kind:
        # Flask-Security keeps one method: the new one replaced the old.
        emit(f"mfa.{was}.disabled", actor=user, subject=user, replaced_by=kind)
    emit(f"mfa.{kind}.enabled", actor=user, subject=user, replaced=was == kind)
    if f"mfa.{kind}.enabled" in NOTICES:
        send_notice(user, f"mfa.{kind}.enabled")


def second_factor_disabled(user: Any, previous: str | None) -> None:
    """The user turned their two-factor method off."""
    user = real(user)
    kind = FACTOR_ACTIONS.get(previous or "", previous) or "tf"
    emit(f"mfa.{kind}.disabled", actor=user, subject=user)
    if f"mfa.{kind}.disabled" in NOTICES:
        send_notice(user, f"mfa.{kind}.disabled")


def recovery_codes_generated(user: Any, count: int) -> None:
    """New recovery codes replaced the old ones (the codes themselves are never recorded)."""
    user = real(user)
    emit("mfa.recovery_codes.generated", actor=user, subject=user, count=count)
    send_notice(user, "mfa.recovery_codes.generated", count=count)


def recovery_code_used(user: Any, remaining: int) -> None:
    """A recovery code completed a sign-in."""
    user = real(user)
    emit("mfa.recovery_code.used", actor=user, subject=user, remaining=remaining)
    send_notice(user, "mfa.recovery_code.used", remaining=remaining)
