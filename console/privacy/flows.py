"""Leaving and taking one's data: the personal-data export (the account holder's and an
operator's) and the deletion of one's own account, scheduled or at once. The one path for
the pages, the workers' schedule and tests.

A deleted account becomes a tombstone: its user row stays, with its id, so that every audit
event keeps referring to an account that existed, but without its personal data (see
`erase_account` for what goes and README "Leaving" for the retention rule).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context
from flask_babel import lazy_gettext as _l
from flask_security import naive_utcnow, url_for_security
from sqlalchemy import delete, select, update

from ..account.notify import send_notice
from ..api import tokens as api_tokens
from ..core import dates, personal_data, policy
from ..core.freshness import user_window
from ..core.models import models
from ..core.notify import notify
from ..core.signals import emit
from ..core.transactions import atomic
from ..core.user_fields import host_user_fields
from ..extensions import db
from ..roles.guardrails import GuardrailError, assert_keeps_an_admin
from ..sessions import flows as sessions
from ..settings import setting
from . import export
from .models import AccountDeletion

log = logging.getLogger(__name__)

# CONSOLE_ACCOUNT_DELETION's values.
OFF, IMMEDIATE, GRACE = "off", "immediate", "grace"
MODES = (OFF, IMMEDIATE, GRACE)
# What an operator needs to export another account's data: reading accounts, as the user's
# page does. Each section also needs the permission of the page that shows it.
EXPORT_PERMISSION = "users:read"
# The export file's type: one JSON document.
EXPORT_MEDIA_TYPE = "application/json"
# Why sessions and tokens ended, in their audit events.
END_REASON = "account_deletion"
# The user columns a tombstone keeps empty: the person's names, contact details, settings,
# sign-in traces and whatever operators wrote about them.
PERSONAL_COLUMNS = (
    "username",
    "name",
    "locale",
    "timezone",
    "notes",
    "invited_at",
    "password_changed_at",
    "locked_until",
    "current_login_at",
    "current_login_ip",
    "last_login_at",
    "last_login_ip",
    "tf_phone_number",
    "us_phone_number",
)
# And its credentials: nothing of it can sign in again.
SECRET_COLUMNS = (
    "password",
    "tf_primary_method",
    "tf_totp_secret",
    "us_totp_secrets",
    "mf_recovery_codes",
    "fs_webauthn_user_handle",
    "totp_last_counter",
)

MESSAGES: dict[str, Any] = {
    "off": _l("Accounts cannot be deleted here. Ask an administrator to delete yours."),
    "confirmation": _l("Type your email address exactly as shown to confirm."),
    "last_admin": _l(
        "You are the last active holder of full administration, so your account cannot be "
        "deleted. Give another account full administration first."
    ),
    "deleted": _l("This account has already been deleted."),
}


class PrivacyError(Exception):
    """A request to export or delete refused before anything was written; says why."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(str(MESSAGES[code]))


# ---------------------------------------------------------------- export


@dataclass(frozen=True)
class Export:
    """A personal-data file ready to stream: its name and its text, chunk by chunk."""

    filename: str
    chunks: Iterator[str]
    sections: tuple[str, ...]
    omitted: tuple[str, ...] = ()


def _export(user: Any, entries: list[Any], omitted: list[str], prepared_for: str) -> Export:
    # Small sections are read now (a failure is an error page, not a cut-off file); an
    # iterator (the audit events) is read as the file is sent.
    sections = [(entry.key, entry.collect(user)) for entry in entries]
    now = naive_utcnow()
    header = {
        "generated_at": dates.iso_utc(now),
        "site": setting("CONSOLE_SITE_NAME"),
        "account_id": user.id,
        "prepared_for": prepared_for,
        "omitted_sections": omitted,
    }
    return Export(
        filename=f"personal-data-{user.id}-{now:%Y%m%d}.json",
        chunks=export.document(header, sections),
        sections=tuple(key for key, _ in sections),
        omitted=tuple(omitted),
    )


@atomic
def export_own(user: Any) -> Export:
    """The account holder's own data, every section; needs a recent sign-in. Recorded, and
    the holder is told by mail (a copy of everything is worth knowing about)."""
    policy.require_fresh(user_window())
    result = _export(user, personal_data.registered(), [], "account_holder")
    emit("account.data.exported", actor=user, subject=user, sections=list(result.sections))
    db.session.commit()
    send_notice(user, "account.data.exported")
    return result


def sections_for(actor: Any) -> tuple[list[Any], list[str]]:
    """(the sections `actor` may receive in another account's export, the keys left out)."""
    included, omitted = [], []
    for entry in personal_data.registered():
        if actor is None or entry.permission is None or actor.has_permission(entry.permission):
            included.append(entry)
        else:
            omitted.append(entry.key)
    return included, omitted


@atomic
def export_for(actor: Any, user: Any) -> Export:
    """An operator's copy of an account's data (to answer its holder's request, say): needs
    users:read and may act on the account; sections whose page the operator may not open are
    left out and named in the file. Recorded."""
    policy.require(actor, EXPORT_PERMISSION, target=user)
    included, omitted = sections_for(actor)
    result = _export(user, included, omitted, "operator")
    emit(
        "admin.user.data_exported",
        actor=actor,
        subject=user,
        sections=list(result.sections),
        omitted=omitted,
    )
    db.session.commit()
    return result


# ---------------------------------------------------------------- deletion: state


def mode() -> str:
    """CONSOLE_ACCOUNT_DELETION: "off", "immediate" or "grace"."""
    return setting("CONSOLE_ACCOUNT_DELETION")


def grace_period() -> Any:
    return setting("CONSOLE_ACCOUNT_DELETION_GRACE")


def deletion_of(user: Any) -> AccountDeletion | None:
    """The account's deletion, scheduled or completed, or None."""
    return db.session.get(AccountDeletion, user.id)


def is_tombstone(user: Any) -> bool:
    """True when the account was deleted by its holder and only its record remains."""
    found = deletion_of(user)
    return found is not None and found.completed_at is not None


def _last_admin(user: Any) -> bool:
    try:
        assert_keeps_an_admin(user, losing=True)
    except GuardrailError:
        return True
    return False


def refusal(user: Any) -> PrivacyError | None:
    """Why the account holder may not delete their account at all (before any typing)."""
    if mode() == OFF:
        return PrivacyError("off")
    if is_tombstone(user):
        return PrivacyError("deleted")
    if _last_admin(user):
        return PrivacyError("last_admin")
    return None


def _confirmed(user: Any, typed: str | None) -> bool:
    return bool(typed) and typed.strip().casefold() == str(user.email).strip().casefold()


# ---------------------------------------------------------------- deletion: the holder's request


@dataclass(frozen=True)
class Outcome:
    """What became of a deletion request: done at once, or due at `due_at`."""

    mode: str
    due_at: datetime | None = None


@atomic
def delete_own_account(user: Any, typed: str | None) -> Outcome:
    """The account holder deletes their account: after a recent sign-in, their email address
    typed as confirmation, never the last full administrator. With CONSOLE_ACCOUNT_DELETION
    "immediate" the account becomes a tombstone now; with "grace" the deletion is scheduled
    after CONSOLE_ACCOUNT_DELETION_GRACE, every session and token ends now, and signing in
    before then cancels it. The caller signs the browser out."""
    policy.require_fresh(user_window())
    refused = refusal(user)
    if refused is not None:
        raise refused
    if not _confirmed(user, typed):
        raise PrivacyError("confirmation")
    now = naive_utcnow()
    if mode() == IMMEDIATE:
        erase_account(user, actor=user, requested_at=now)
        db.session.commit()
        return Outcome(IMMEDIATE)
    due = now + grace_period()
    found = deletion_of(user)
    if found is None:
        db.session.add(AccountDeletion(user_id=user.id, requested_at=now, due_at=due))
    else:
        found.requested_at, found.due_at, found.completed_at = now, due, None
    _end_access(user, actor=user)
    emit(
        "account.deletion.scheduled",
        actor=user,
        subject=user,
        due_at=dates.iso_utc(due),
    )
    notify(
        user,
        "privacy/deletion_scheduled",
        _l("Your account will be deleted"),
        due_at=due,
        signin_url=_signin_url(),
    )
    db.session.commit()
    return Outcome(GRACE, due)


def cancel_on_sign_in(user: Any) -> bool:
    """A sign-in during the grace period cancels the scheduled deletion: recorded, told on
    the page and by mail. Rides along with the sign-in's own transaction; True if cancelled."""
    from flask import flash

    result = db.session.execute(
        delete(AccountDeletion).where(
            AccountDeletion.user_id == user.id, AccountDeletion.completed_at.is_(None)
        )
    )
    if not result.rowcount:
        return False
    emit("account.deletion.cancelled", actor=user, subject=user, reason="signed_in")
    send_notice(user, "account.deletion.cancelled")
    if has_request_context():
        flash(str(CANCELLED), "info")
    return True


CANCELLED = _l(
    "You signed in, so your account will not be deleted. Your sessions and API tokens were "
    "ended when you asked for the deletion; create new tokens if you need them."
)


def _signin_url() -> str:
    # Outside a request (the workers) without SERVER_NAME no absolute link can be built.
    try:
        return url_for_security("login", _external=True)
    except RuntimeError:
        return ""


# ---------------------------------------------------------------- deletion: the tombstone


def _end_access(user: Any, actor: Any) -> None:
    """Every session (remember-me cookies and API refresh tokens included) and every API
    token of `user` stops working on the next request; each end is audited."""
    sessions.end_all_sessions(user, actor=actor, reason=END_REASON, commit=False)
    now = naive_utcnow()
    for token in api_tokens.tokens_of(user):
        token.revoked_at = now
        token.revoked_by_id = actor.id if actor is not None else None
        emit(
            "api.token.revoked",
            actor=actor,
            subject=user,
            name=token.name,
            key=token.key,
            reason=END_REASON,
        )


def placeholder_email(user: Any) -> str:
    """The tombstone's address: unique, never deliverable (RFC 2606 reserves .invalid) and
    no longer the person's."""
    return f"deleted-{user.id}@deleted.invalid"


def erase_account(user: Any, actor: Any, *, requested_at: datetime) -> None:
    """Turn `user` into a tombstone inside the caller's transaction (the caller commits).

    Ends every session and token; runs every registered section's erasure (sessions'
    addresses, devices, tokens, second factors and passkeys, provisioning data, and what
    later features registered); empties the personal and secret columns and the host's
    declared profile columns, takes every role, replaces the address with a placeholder and
    the uniquifier with a new one, and deactivates the account. Audit events are kept as
    they are (their chain must still verify); the deletion's own event names the tombstone.
    The holder is mailed at their address before it goes.
    """
    from flask_security.proxies import _datastore

    notify(user, "privacy/deleted", _l("Your account was deleted"), requested_at=requested_at)
    _end_access(user, actor)
    for entry in personal_data.registered():
        if entry.erase is not None:
            entry.erase(user)
    for name in (*PERSONAL_COLUMNS, *SECRET_COLUMNS, *host_user_fields()):
        if hasattr(user, name):
            setattr(user, name, None)
    user.failed_login_count = 0
    user.lockout_count = 0
    user.password_change_required = False
    user.roles = []
    user.email = placeholder_email(user)
    user.active = False
    user.edit_version = (user.edit_version or 0) + 1
    _datastore.set_uniquifier(user)
    now = naive_utcnow()
    found = deletion_of(user)
    if found is None:
        db.session.add(
            AccountDeletion(
                user_id=user.id, requested_at=requested_at, due_at=requested_at, completed_at=now
            )
        )
    else:
        found.completed_at = now
    # After the redaction, so that this event names the tombstone, not the person.
    emit(
        "account.deleted",
        actor=actor,
        subject=user,
        requested_at=dates.iso_utc(requested_at),
        by="account_holder" if actor is not None else "schedule",
    )


def _claim(user_id: int, now: datetime) -> bool:
    """Mark one due deletion as being completed, unless a sign-in cancelled it meanwhile."""
    result = db.session.execute(
        update(AccountDeletion)
        .where(
            AccountDeletion.user_id == user_id,
            AccountDeletion.completed_at.is_(None),
            AccountDeletion.due_at <= now,
        )
        .values(completed_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def complete_due(now: datetime | None = None, batch: int = 50) -> int:
    """Complete every scheduled deletion whose grace period has ended, one account per
    transaction (the workers' schedule); returns how many accounts became tombstones.

    An account that became the last full administrator meanwhile is left scheduled and
    logged: its holder signing in cancels it, or another administrator appears.
    """
    User = models().User
    now = now or naive_utcnow()
    done = 0
    after = 0
    while True:
        due = list(
            db.session.execute(
                select(AccountDeletion.user_id, AccountDeletion.requested_at)
                .where(
                    AccountDeletion.completed_at.is_(None),
                    AccountDeletion.due_at <= now,
                    AccountDeletion.user_id > after,
                )
                .order_by(AccountDeletion.user_id)
                .limit(batch)
            )
        )
        db.session.rollback()
        for user_id, requested_at in due:
            after = user_id
            user = db.session.get(User, user_id)
            if user is None:
                continue
            if _last_admin(user):
                db.session.rollback()
                log.warning(
                    "the deletion of account %s is due but it is the last full administrator; "
                    "it stays scheduled",
                    user_id,
                )
                continue
            if not _claim(user_id, now):
                db.session.rollback()
                continue
            try:
                erase_account(user, actor=None, requested_at=requested_at)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("could not complete the deletion of account %s", user_id)
                continue
            done += 1
        if len(due) < batch:
            return done
