"""Account models: Flask-Security's fsqla v4 models plus the columns the console needs."""

from __future__ import annotations

from flask_security.models import fsqla_v4 as fsqla
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    func,
)

from .core.emails import canonical_email
from .extensions import db

# set_db_info() would create Flask-Security's own roles_users table; ours replaces it.
fsqla.FsModels.db = db
# Flask-Security's association table has neither a primary key nor an index, so the
# user loader's join and every role's member list scan it. This one has both.
roles_users = db.Table(
    "roles_users",
    Column("user_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", Integer, ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_roles_users_role_id_user_id", "role_id", "user_id"),
)
fsqla.FsModels.roles_users = roles_users


class Role(db.Model, fsqla.FsRoleMixin):
    """A named set of permissions; `require_mfa` makes its members enrol a second factor."""

    __tablename__ = "role"

    require_mfa = Column(Boolean, nullable=False, default=False, server_default="0")
    # Kept by database triggers on roles_users (migration 8c2f4d61a9b3), whatever writes the
    # memberships: role pages read it instead of counting up to a million member rows.
    member_count = Column(Integer, nullable=False, default=0, server_default="0")

    def __str__(self) -> str:
        return self.name


class User(db.Model, fsqla.FsUserMixin):
    """An account. Secret columns: password, tf_totp_secret, mf_recovery_codes,
    us_totp_secrets, fs_uniquifier, fs_webauthn_user_handle."""

    __tablename__ = "user"

    name = Column(String(255), nullable=True)
    locale = Column(String(16), nullable=True)
    timezone = Column(String(64), nullable=True)
    # The address's canonical form (core.emails), set with the email by the hook below: its
    # unique index makes look-alike addresses one account, and sign-in looks it up. Nullable
    # only because SQLite cannot add NOT NULL without rebuilding the table (see migration).
    email_canonical = Column(String(1024), nullable=True, unique=True, index=True)
    # Operator-written HTML, stored already sanitized by core.sanitize.
    notes = Column(Text, nullable=True)
    # Bumped by every operator edit; a form carries the version it was built from.
    edit_version = Column(Integer, nullable=False, default=1, server_default="1")
    invited_at = Column(DateTime, nullable=True)
    password_changed_at = Column(DateTime, nullable=True)
    password_change_required = Column(Boolean, nullable=False, default=False, server_default="0")
    # Lockout state: failures since the last success, and how many locks so far.
    failed_login_count = Column(Integer, nullable=False, default=0, server_default="0")
    lockout_count = Column(Integer, nullable=False, default=0, server_default="0")
    locked_until = Column(DateTime, nullable=True)
    # Last TOTP time step accepted, so that a code can never be used twice.
    totp_last_counter = Column(BigInteger, nullable=True)

    def __str__(self) -> str:
        return self.email


@event.listens_for(User.email, "set")
def _canonicalize_email(
    target: User, value: str | None, oldvalue: object, initiator: object
) -> None:
    # On the attribute, not in a flow: every path that sets an address (Flask-Security's
    # views, the operators' flows, the CLI, a test) fills the key the index checks.
    target.email_canonical = canonical_email(value) if value is not None else None


# Case-insensitive search and order by email, and sign-in by lower(username).
Index("ix_user_email_lower", func.lower(User.email), unique=True)
Index("ix_user_username_lower", func.lower(User.username), unique=True)
# The operators' user list: prefix search on name, and its two date orders.
Index("ix_user_name_lower", func.lower(User.name))
Index("ix_user_create_datetime", User.create_datetime)
Index("ix_user_current_login_at", User.current_login_at)
# The list's rare-state filters: unconfirmed (confirmed_at IS NULL) and locked accounts.
Index("ix_user_confirmed_at", User.confirmed_at)
Index("ix_user_locked_until", User.locked_until)
# The list's nullable orders (NULLS FIRST ascending, then id). SQLite sorts NULLs first in
# any index and refuses the words: there the migration makes the last-sign-in one plain.
Index("ix_user_name_lower_id", func.lower(User.name).asc().nulls_first(), User.id).ddl_if(
    dialect="postgresql"
)
Index("ix_user_current_login_at_id", User.current_login_at.asc().nulls_first(), User.id).ddl_if(
    dialect="postgresql"
)


class WebAuthn(db.Model, fsqla.FsWebAuthnMixin):
    """A passkey or security key; `aaguid` names its provider (a label, never trusted)."""

    __tablename__ = "webauthn"

    aaguid = Column(String(36), nullable=True)


# A user's passkeys (their list, the MFA filter and figures) without scanning every key.
Index("ix_webauthn_user_id", WebAuthn.user_id)


class FsRefreshTracker(db.Model, fsqla.FsRefreshTrackerMixin):
    """A family of API refresh tokens (Flask-Security 5.9)."""

    __tablename__ = "fs_refresh"
