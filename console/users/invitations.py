"""The invitation landing: Flask-Security's reset page, told apart when it accepts an invitation.

An invitation is a reset link sent to an account that has never had a password
(`send_invitation`). The page then says who invited the person and what the site is, and
the message after it says the account is ready instead of "password reset".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, g, request
from sqlalchemy import select

from ..core.models import models
from ..extensions import db

if TYPE_CHECKING:
    from .. import ConsoleState

INVITED_ACTION = "admin.user.invited"


@dataclass(frozen=True)
class Invitation:
    """An invitation being accepted: whose account, and who sent it (None when unknown)."""

    user: Any
    inviter: str | None


def is_invitee(user: Any) -> bool:
    """True for an account that was invited and has not chosen a password yet."""
    return getattr(user, "invited_at", None) is not None and not user.password


def inviter_name(user: Any) -> str | None:
    """The name (else the address) of whoever last invited `user`, from the audit trail."""
    from ..audit.models import AuditEvent

    User = models().User
    row = db.session.execute(
        select(AuditEvent.actor_id, AuditEvent.actor_email)
        .where(AuditEvent.subject_id == user.id, AuditEvent.action == INVITED_ACTION)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    actor = db.session.get(User, row.actor_id) if row.actor_id is not None else None
    return (getattr(actor, "name", None) or getattr(actor, "email", None)) or row.actor_email


def invitation_for(token: str) -> Invitation | None:
    """The invitation a reset token accepts, or None for an ordinary (or a bad) reset."""
    from flask_security.recoverable import reset_password_token_status

    expired, invalid, user = reset_password_token_status(token)
    if expired or invalid or user is None or not is_invitee(user):
        return None
    return Invitation(user=user, inviter=inviter_name(user))


def _remember_invitation() -> None:
    # Before Flask-Security's view runs: once it has set the password, the account no
    # longer looks invited.
    if request.endpoint == "security.reset_password" and request.view_args:
        g.console_invitation = invitation_for(str(request.view_args.get("token", "")))


def init_app(app: Flask, state: ConsoleState) -> None:
    """Tell the reset page (and its success message) when it accepts an invitation."""
    app.before_request(_remember_invitation)
    state.security.reset_password_context_processor(
        lambda: {"invitation": g.get("console_invitation")}
    )
