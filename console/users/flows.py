"""Every change an operator makes to user accounts: one path for pages, HTMX, CLI and tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_security import naive_utcnow, url_for_security
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..accounts import create_account
from ..core import policy, user_fields
from ..core.emails import EmailInUseError, canonical_email, is_email_conflict
from ..core.models import models
from ..core.notify import notify
from ..core.sanitize import sanitize_html
from ..core.signals import emit
from ..core.transactions import atomic
from ..core.user_fields import host_user_fields
from ..extensions import db
from ..mixins import ConsoleRoleMixin, ConsoleUserMixin
from ..roles.guardrails import (
    assert_can_grant,
    assert_keeps_an_admin,
    assert_not_self,
    holds_full_administration,
)
from ..settings import setting

# Never copied into an event, a log line or an export.
SECRET_FIELDS = frozenset(
    {
        "password",
        "tf_totp_secret",
        "mf_recovery_codes",
        "us_totp_secrets",
        "fs_uniquifier",
        "fs_webauthn_user_handle",
        "public_key",
        "credential_id",
    }
)
# The profile fields an operator may edit.
PROFILE_FIELDS = ("email", "username", "name", "locale", "timezone", "active")
BATCH_SIZE = 100

MESSAGES: dict[str, Any] = {
    "stale": _l(
        "%(user)s was changed by someone else while you were editing. "
        "Nothing was saved: review the current values and make your change again."
    ),
    "email_taken": _l("Another account already uses the email address %(email)s."),
    "username_taken": _l("Another account already uses the username %(username)s."),
    "invite_accepted": _l("%(user)s has already set a password; send a password reset instead."),
    "inactive_invite": _l("%(user)s is deactivated; activate the account before inviting."),
    "too_long": lambda num, field: lazy_ngettext(
        "%(field)s takes at most %(num)d character.",
        "%(field)s takes at most %(num)d characters.",
        num,
        field=field,
    ),
}


class UserFlowError(Exception):
    """An operator request refused before anything was written; the message says why."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        message = MESSAGES[code]
        # Counted messages are built for their number, so that the plural form fits it.
        text = message(**params) if callable(message) else message % params
        super().__init__(str(text))


def redact(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The diff with secret fields replaced by a marker."""
    return {
        key: ["[redacted]", "[redacted]"] if key in SECRET_FIELDS else value
        for key, value in changes.items()
    }


def _role_names(roles: Iterable[ConsoleRoleMixin]) -> list[str]:
    return sorted(role.name for role in roles)


def _email_in_use(email: str, except_id: int | None = None) -> bool:
    # By the canonical form: a look-alike of another account's address is that address.
    User = models().User
    stmt = select(User.id).where(User.email_canonical == canonical_email(email))
    found = db.session.scalar(stmt)
    return found is not None and found != except_id


def _username_in_use(username: str, except_id: int | None = None) -> bool:
    User = models().User
    stmt = select(User.id).where(func.lower(User.username) == username.lower())
    found = db.session.scalar(stmt)
    return found is not None and found != except_id


# --- invitations ---------------------------------------------------------------------------


def invitation_link(user: ConsoleUserMixin) -> str:
    """A link to Flask-Security's reset page: the invitee chooses their own password there."""
    from flask_security.recoverable import generate_reset_password_token

    return url_for_security(
        "reset_password", token=generate_reset_password_token(user), _external=True
    )


@atomic
def send_invitation(actor: ConsoleUserMixin | None, user: ConsoleUserMixin) -> None:
    """Mail `user` a link to set their password; refused once they have one."""
    add_invitation(actor, user)
    db.session.commit()


def add_invitation(actor: ConsoleUserMixin | None, user: ConsoleUserMixin) -> None:
    """send_invitation inside the caller's transaction: the mail goes out once it commits.

    Refuses (PolicyError, UserFlowError) before it writes anything.
    """
    # The link sets a password on the account: the same rule as a password reset.
    policy.require(actor, "users:write", target=user)
    if user.password:
        raise UserFlowError("invite_accepted", user=user.email)
    if not user.active:
        raise UserFlowError("inactive_invite", user=user.email)
    link = invitation_link(user)
    user.invited_at = naive_utcnow()
    emit("admin.user.invited", actor=actor, subject=user, email=user.email)
    # Held by notify until the caller's commit; a rollback drops it.
    notify(
        user,
        "users/invitation",
        _l("You are invited to %(site)s", site=setting("CONSOLE_SITE_NAME")),
        link=link,
        within=current_app.config["SECURITY_RESET_PASSWORD_WITHIN"],
    )


@atomic
def create_user(
    actor: ConsoleUserMixin | None,
    *,
    email: str,
    name: str | None = None,
    username: str | None = None,
    roles: Sequence[ConsoleRoleMixin] = (),
    profile: dict[str, Any] | None = None,
    invite: bool = True,
) -> ConsoleUserMixin:
    """A new account with no password, and an invitation mail to set one.

    `profile` holds further values the caller validated (locale, timezone, active, the
    host's declared fields); `invite=False` leaves the invitation to a later
    `send_invitation` (an account created deactivated cannot be invited).
    """
    user = add_user(actor, email=email, name=name, username=username, roles=roles, profile=profile)
    normalized = user.email
    try:
        db.session.commit()
    except EmailInUseError as error:
        # Another request took a look-alike address after the check; the datastore has
        # rolled back, so nothing of this account (nor its event) was written.
        raise UserFlowError("email_taken", email=normalized) from error
    if invite:
        send_invitation(actor, user)
    return user


def add_user(
    actor: ConsoleUserMixin | None,
    *,
    email: str,
    name: str | None = None,
    username: str | None = None,
    roles: Sequence[ConsoleRoleMixin] = (),
    profile: dict[str, Any] | None = None,
) -> ConsoleUserMixin:
    """create_user inside the caller's transaction, with no invitation: the same checks,
    the account and its event, committed by the caller (a job's batch).

    Refuses (PolicyError, UserFlowError, ValueError for a bad address) before it writes.
    """
    from flask_security.proxies import _security

    policy.require(actor, "users:write")
    extra = {
        key: value
        for key, value in (profile or {}).items()
        if key in ("locale", "timezone", "active") or key in host_user_fields()
    }
    if actor is not None:
        assert_can_grant(actor, roles)
    normalized = _security._mail_util.validate(email)
    if _email_in_use(normalized):
        raise UserFlowError("email_taken", email=normalized)
    if username and _username_in_use(username):
        raise UserFlowError("username_taken", username=username)
    try:
        user = create_account(
            normalized,
            None,
            name=name or None,
            username=username or None,
            roles=list(roles),
            confirmed=False,
            **extra,
        )
    except EmailInUseError as error:
        raise UserFlowError("email_taken", email=normalized) from error
    emit(
        "admin.user.created",
        actor=actor,
        subject=user,
        email=user.email,
        roles=_role_names(user.roles),
    )
    return user


def confirm_invitee(user: ConsoleUserMixin) -> None:
    """The invitation link proved the mailbox: an invitee who set a password is confirmed."""
    if user.invited_at is not None and user.confirmed_at is None:
        user.confirmed_at = naive_utcnow()


# --- edits ---------------------------------------------------------------------------------


def _claim_version(user: ConsoleUserMixin, version: int) -> None:
    """Bump edit_version only if it is still `version`: a stale form changes nothing."""
    User = models().User
    result = db.session.execute(
        update(User)
        .where(User.id == user.id, User.edit_version == version)
        .values(edit_version=version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        # Nothing was updated; the caller's transaction (or @atomic) decides what to undo.
        raise UserFlowError("stale", user=user.email)
    user.edit_version = version + 1


def _host_field_value(name: str, value: Any) -> str | None:
    """A host column's value as stored: trimmed, None when empty, refused when too long."""
    text = str(value or "").strip()
    longest = user_fields.max_length(name)
    if len(text) > longest:
        raise UserFlowError("too_long", num=longest, field=host_user_fields()[name].label)
    return text or None


@atomic
def update_user(
    actor: ConsoleUserMixin | None,
    user: ConsoleUserMixin,
    *,
    version: int,
    values: dict[str, Any],
    roles: Sequence[ConsoleRoleMixin] | None = None,
) -> dict[str, list[Any]]:
    """Apply profile values and roles from a form built at `version`; returns the diff."""
    changes = change_user(actor, user, version=version, values=values, roles=roles)
    if not changes:
        return changes
    try:
        db.session.commit()
    except IntegrityError as error:
        # A race past the check ends at the unique index: the version claim and every
        # value roll back together.
        db.session.rollback()
        if "email" in values and is_email_conflict(error):
            raise UserFlowError("email_taken", email=values["email"]) from error
        raise
    return changes


def change_user(
    actor: ConsoleUserMixin | None,
    user: ConsoleUserMixin,
    *,
    version: int,
    values: dict[str, Any],
    roles: Sequence[ConsoleRoleMixin] | None = None,
) -> dict[str, list[Any]]:
    """update_user inside the caller's transaction (a job's batch commits it): the same
    checks, values, roles and events; returns the diff.

    Refuses (PolicyError, UserFlowError, ValueError for a bad address) before it writes.
    """
    from flask_security.proxies import _security

    policy.require(actor, "users:write", target=user)
    host_fields = host_user_fields()
    values = {k: v for k, v in values.items() if k in PROFILE_FIELDS or k in host_fields}
    for key in host_fields.keys() & values.keys():
        values[key] = _host_field_value(key, values[key])
    if "email" in values:
        values["email"] = _security._mail_util.validate(values["email"])
        if _email_in_use(values["email"], except_id=user.id):
            raise UserFlowError("email_taken", email=values["email"])
    for key in ("username", "name", "locale", "timezone"):
        if key in values:
            values[key] = values[key] or None
    if values.get("username") and _username_in_use(values["username"], except_id=user.id):
        raise UserFlowError("username_taken", username=values["username"])

    changes: dict[str, list[Any]] = {}
    for key, value in values.items():
        if getattr(user, key) != value:
            changes[key] = [getattr(user, key), value]
    new_roles = list(roles) if roles is not None else list(user.roles)
    old_ids = {role.id for role in user.roles}
    added = [role for role in new_roles if role.id not in old_ids]
    removed = [role for role in user.roles if role.id not in {r.id for r in new_roles}]
    if added or removed:
        changes["roles"] = [_role_names(user.roles), _role_names(new_roles)]

    if actor is not None and (added or removed):
        # Taking a role away is checked like granting it (roles.flows.remove_member agrees).
        assert_can_grant(actor, [*added, *removed])
    deactivating = changes.get("active") == [True, False]
    if deactivating:
        assert_not_self(actor, user)
    loses_admin = deactivating or (holds_full_administration(user) and not _holds_full(new_roles))
    assert_keeps_an_admin(user, losing=loses_admin)
    if not changes:
        return changes

    _claim_version(user, version)
    for key, value in values.items():
        setattr(user, key, value)
    if roles is not None:
        user.roles = new_roles
    emit("admin.user.updated", actor=actor, subject=user, changes=redact(changes))
    if "active" in changes:
        emit(
            "admin.user.activated" if user.active else "admin.user.deactivated",
            actor=actor,
            subject=user,
        )
    return changes


def _holds_full(roles: Sequence[ConsoleRoleMixin]) -> bool:
    from ..roles.guardrails import is_full_role

    return any(is_full_role(role) for role in roles)


@atomic
def update_notes(
    actor: ConsoleUserMixin | None, user: ConsoleUserMixin, *, version: int, html: str
) -> bool:
    """Store sanitized operator notes; returns False when nothing changed."""
    policy.require(actor, "users:write", target=user)
    cleaned = sanitize_html(html)
    if cleaned == (user.notes or ""):
        return False
    _claim_version(user, version)
    user.notes = cleaned or None
    emit("admin.user.notes_updated", actor=actor, subject=user)
    db.session.commit()
    return True


# --- actions on one user (each also runs in bulk) --------------------------------------------


def activate(actor: ConsoleUserMixin | None, user: ConsoleUserMixin) -> bool:
    """Let the account sign in again."""
    policy.require(actor, "users:write", target=user)
    if user.active:
        return False
    user.active = True
    user.edit_version += 1
    emit("admin.user.activated", actor=actor, subject=user)
    return True


def deactivate(actor: ConsoleUserMixin | None, user: ConsoleUserMixin) -> bool:
    """Block sign-in; Flask-Security's user loader signs the user out on the next request."""
    assert_not_self(actor, user)
    policy.require(actor, "users:write", target=user)
    if not user.active:
        return False
    assert_keeps_an_admin(user, losing=True)
    user.active = False
    user.edit_version += 1
    emit("admin.user.deactivated", actor=actor, subject=user)
    return True


def send_password_reset(actor: ConsoleUserMixin | None, user: ConsoleUserMixin) -> bool:
    """Flask-Security's own reset mail; its link lands on its reset page."""
    from flask_security.recoverable import send_reset_password_instructions

    policy.require(actor, "users:write", target=user)
    if not user.active:
        return False
    send_reset_password_instructions(user)
    emit("admin.user.password_reset_sent", actor=actor, subject=user)
    return True


def require_password_change(actor: ConsoleUserMixin | None, user: ConsoleUserMixin) -> bool:
    """After the next sign-in the user can only reach the change-password page."""
    policy.require(actor, "users:write", target=user)
    if user.password_change_required:
        return False
    user.password_change_required = True
    user.edit_version += 1
    emit("admin.user.password_change_required", actor=actor, subject=user)
    return True


def unlock(actor: ConsoleUserMixin | None, user: ConsoleUserMixin) -> bool:
    """Clear the lockout state so the user may try to sign in at once."""
    from ..lockout import store as lockout_store

    policy.require(actor, "users:write", target=user)
    # The lockout feature's own clearing UPDATE, so both paths forget failures alike.
    if not lockout_store.clear(user.id):
        return False
    user.edit_version += 1
    emit("admin.user.unlocked", actor=actor, subject=user)
    return True


def delete(actor: ConsoleUserMixin | None, user: ConsoleUserMixin, *, hard: bool = False) -> bool:
    """Deactivate by default; `hard` removes the account and everything hanging off it."""
    if not hard:
        return deactivate(actor, user)
    assert_not_self(actor, user)
    policy.require(actor, "users:write", target=user)
    assert_keeps_an_admin(user, losing=True)
    emit("admin.user.deleted", actor=actor, subject=user, email=user.email, user_id=user.id)
    db.session.delete(user)
    return True


ACTIONS: dict[str, Callable[..., bool]] = {
    "activate": activate,
    "deactivate": deactivate,
    "send_password_reset": send_password_reset,
    "require_password_change": require_password_change,
    "unlock": unlock,
    "delete": delete,
}

# The operator pages refuse these on the operator's own account (guardrails.assert_not_self).
NOT_ON_SELF = frozenset({"deactivate", "delete"})


def may_change(actor: ConsoleUserMixin | None, user: ConsoleUserMixin) -> bool:
    """True when `actor` may edit `user` (profile, roles, notes, invitation)."""
    return policy.may(actor, "users:write", target=user)


def _would_change(name: str, user: ConsoleUserMixin) -> bool:
    """Whether action `name` would change `user` (a page offers no action that would not)."""
    locked = bool(user.locked_until or user.failed_login_count or user.lockout_count)
    return {
        "activate": not user.active,
        "deactivate": bool(user.active),
        "unlock": locked,
        "require_password_change": not user.password_change_required,
    }.get(name, True)


def may_invite(actor: ConsoleUserMixin | None, user: ConsoleUserMixin) -> bool:
    """True when an invitation to `user` would be sent: no password yet, active, allowed."""
    return not user.password and bool(user.active) and may_change(actor, user)


def offered_actions(actor: ConsoleUserMixin | None, user: ConsoleUserMixin) -> list[str]:
    """The single-user actions that apply to `user` and that the flows would accept."""
    return [
        name
        for name in ACTIONS
        if _would_change(name, user)
        and policy.may(actor, "users:write", target=user, allow_self=name not in NOT_ON_SELF)
    ]


@dataclass
class BulkResult:
    """How a bulk action went: users changed, users unchanged, refusals with their reasons."""

    done: int = 0
    unchanged: int = 0
    refused: list[str] = field(default_factory=list)


def apply_action(
    actor: ConsoleUserMixin | None, name: str, user: ConsoleUserMixin, **options: Any
) -> bool:
    """Action `name` on one user inside the caller's transaction; True when it changed them.

    Raises policy.PolicyError (who may act on whom, the last-administrator guard) before
    changing anything. The bulk paths (ticked rows, every matching account) call this.
    """
    changed = ACTIONS[name](actor, user, **options)
    # A guardrail check may have loaded data; flushing per user keeps the batch's own
    # changes visible to the next user's checks (the last admin stays counted).
    db.session.flush()
    return bool(changed)


def run_action(
    actor: ConsoleUserMixin | None, name: str, user_ids: Iterable[int], **options: Any
) -> BulkResult:
    """Apply action `name` to the users, a batch per transaction; each user is all or nothing.

    Re-running after an interruption is safe: every action skips users already in the
    state it produces.
    """
    User = models().User
    ids = sorted({int(i) for i in user_ids})
    result = BulkResult()
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        users = db.session.scalars(select(User).where(User.id.in_(batch)).order_by(User.id))
        for user in users:
            try:
                changed = apply_action(actor, name, user, **options)
            except policy.PolicyError as error:
                result.refused.append(str(error))
                continue
            if changed:
                result.done += 1
            else:
                result.unchanged += 1
        db.session.commit()
    return result
