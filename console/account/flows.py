"""Self-service changes to an account: the one path that saves, signals and mails."""

from __future__ import annotations

from typing import Any

from flask_security import naive_utcnow

from ..core.signals import emit
from ..extensions import db
from .notify import send_notice, tells_user

# Profile fields a user may set on their own account; nothing else is ever written.
PROFILE_FIELDS = ("name", "locale", "timezone")

# Flask-Security's two-factor method names, as the audit trail spells them; any other
# method is recorded as "two_factor".
FACTOR_ACTIONS = {"authenticator": "totp", "google_authenticator": "totp", "email": "email"}


def _factor(method: str | None) -> str:
    return FACTOR_ACTIONS.get(method or "", "two_factor")


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
    emit("account.profile.updated", actor=user, subject=user, changes=changes)
    db.session.commit()
    send_notice(user, "account.profile.updated")
    return changes


def password_changed(user: Any) -> None:
    """Date the new password (a change or a reset).

    The audit trail records Flask-Security's own signal ("user.password_changed",
    "user.password_reset"); Flask-Security commits after its view and mails the user itself.
    """
    user = real(user)
    user.password_changed_at = naive_utcnow()
    db.session.add(user)


def email_changed(user: Any, old_email: str) -> None:
    """The new address was confirmed: tell the old address, which may not be the user's now.

    The audit trail records Flask-Security's signal as "user.email_changed"; the notice
    goes out once Flask-Security has committed the new address.
    """
    user = real(user)
    send_notice(user, "user.email_changed", recipient=old_email, new_email=user.email)


def second_factor_enabled(user: Any, method: str, previous: str | None) -> None:
    """A two-factor method was confirmed with a code (setup or a change of method)."""
    user = real(user)
    kind = _factor(method)
    was = _factor(previous) if previous else None
    if was and was != kind:
        # Flask-Security keeps one method: the new one replaced the old.
        emit(f"mfa.{was}.disabled", actor=user, subject=user, replaced_by=kind)
    emit(f"mfa.{kind}.enabled", actor=user, subject=user, replaced=was == kind)
    if tells_user(f"mfa.{kind}.enabled"):
        send_notice(user, f"mfa.{kind}.enabled")


def second_factor_disabled(user: Any, previous: str | None) -> None:
    """The user turned their two-factor method off."""
    user = real(user)
    kind = _factor(previous)
    emit(f"mfa.{kind}.disabled", actor=user, subject=user)
    if tells_user(f"mfa.{kind}.disabled"):
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
