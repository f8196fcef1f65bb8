"""Self-service changes to an account's profile, email address and password: the one path
that saves, signals and mails."""

from __future__ import annotations

from typing import Any

from flask_security import naive_utcnow

from ..core.signals import emit
from ..extensions import db
from .notify import send_notice

# Profile fields a user may set on their own account; nothing else is ever written.
PROFILE_FIELDS = ("name", "locale", "timezone")


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
