"""What the console adds to a host's Flask-Security models: columns, indexes and one hook.

A host builds its models on Flask-Security's fsqla mixins (v3 or later) and adds these::

    class User(db.Model, ConsoleUserMixin, fsqla.FsUserMixin): ...
    class Role(db.Model, ConsoleRoleMixin, fsqla.FsRoleMixin): ...
    class WebAuthn(db.Model, ConsoleWebAuthnMixin, fsqla.FsWebAuthnMixin): ...

The columns are plain ``Column`` objects, which SQLAlchemy's declarative copies into every
model that inherits them. The indexes are added when the model is mapped (a mapper event
on the mixin), named after the model's own table, so a host's ``__table_args__`` neither
hides them nor is overridden by them. The shipped models (console.models) are built the
same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, Integer, String, Text, event
from sqlalchemy import func as sql_func
from sqlalchemy.orm import Mapper

from .core import mfa_waiver
from .core.emails import canonical_email


class ConsoleUserMixin:
    """Profile, lockout, TOTP replay and operator columns of an account.

    Secret columns (Flask-Security's): password, tf_totp_secret, mf_recovery_codes,
    us_totp_secrets, fs_uniquifier, fs_webauthn_user_handle.
    """

    name = Column(String(255), nullable=True)
    locale = Column(String(16), nullable=True)
    timezone = Column(String(64), nullable=True)
    # The address's canonical form (core.emails), set with the email by the hook below: its
    # unique index makes look-alike addresses one account, and sign-in looks it up. Nullable
    # only because SQLite cannot add NOT NULL without rebuilding the table.
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
    # Whether a password sign-in asks for a second factor: derived from the factor registry
    # and kept by console.core.factor_flag (never set by hand), so that the list's MFA
    # filter reads an index instead of testing every factor of every account.
    has_second_factor = Column(Boolean, nullable=False, default=False, server_default="0")

    def __str__(self) -> str:
        return str(self.email)  # type: ignore[attr-defined]

    def check_tf_required(
        self, tf_setup_methods: list[tuple[str, str]], tf_fresh: bool
    ) -> tuple[bool, list[tuple[str, str]]]:
        """Flask-Security's answer, unless this request's sign-in already counts as
        multi-factor (an identity provider's, when the policy says so: core.mfa_waiver)."""
        if mfa_waiver.waived(self):
            return False, tf_setup_methods
        return super().check_tf_required(tf_setup_methods, tf_fresh)  # type: ignore[misc]


class ConsoleRoleMixin:
    """`require_mfa` makes a role's members enrol a second factor; `member_count` is kept by
    database triggers on the role-membership table (console.core.schema)."""

    require_mfa = Column(Boolean, nullable=False, default=False, server_default="0")
    # Role pages read it instead of counting up to a million member rows.
    member_count = Column(Integer, nullable=False, default=0, server_default="0")

    def __str__(self) -> str:
        return str(self.name)  # type: ignore[attr-defined]


class ConsoleWebAuthnMixin:
    """`aaguid` names a passkey's provider (a label, never a trust decision)."""

    aaguid = Column(String(36), nullable=True)


@event.listens_for(ConsoleUserMixin, "after_mapper_constructed", propagate=True)
def _user_mapped(mapper: Mapper[Any], cls: type) -> None:
    table = mapper.local_table
    name = table.name
    c = table.c
    # Case-insensitive search and order by email, and sign-in by lower(username).
    Index(f"ix_{name}_email_lower", sql_func.lower(c.email), unique=True)
    Index(f"ix_{name}_username_lower", sql_func.lower(c.username), unique=True)
    # The operators' user list: prefix search on name, and its two date orders.
    Index(f"ix_{name}_name_lower", sql_func.lower(c.name))
    Index(f"ix_{name}_create_datetime", c.create_datetime)
    Index(f"ix_{name}_current_login_at", c.current_login_at)
    # The list's rare-state filters: unconfirmed (confirmed_at IS NULL) and locked accounts.
    Index(f"ix_{name}_confirmed_at", c.confirmed_at)
    Index(f"ix_{name}_locked_until", c.locked_until)
    # The MFA filter in the list's default order (newest first, then id): a page of either
    # answer is read off the index in order, however rare or common the answer is.
    Index(f"ix_{name}_has_second_factor_created", c.has_second_factor, c.create_datetime, c.id)
    # The list's nullable orders (NULLS FIRST ascending, then id). SQLite sorts NULLs first
    # in any index and refuses the words: there a migration makes the last-sign-in one plain.
    Index(f"ix_{name}_name_lower_id", sql_func.lower(c.name).asc().nulls_first(), c.id).ddl_if(
        dialect="postgresql"
    )
    Index(f"ix_{name}_current_login_at_id", c.current_login_at.asc().nulls_first(), c.id).ddl_if(
        dialect="postgresql"
    )
    # On the attribute, not in a flow: every path that sets an address (Flask-Security's
    # views, the operators' flows, the CLI, a test) fills the key the index checks.
    event.listen(cls.email, "set", _canonicalize_email)  # type: ignore[attr-defined]


def _canonicalize_email(
    target: Any, value: str | None, oldvalue: object, initiator: object
) -> None:
    target.email_canonical = canonical_email(value) if value is not None else None


@event.listens_for(ConsoleWebAuthnMixin, "after_mapper_constructed", propagate=True)
def _webauthn_mapped(mapper: Mapper[Any], cls: type) -> None:
    table = mapper.local_table
    # A user's passkeys (their list, the MFA filter and figures) without scanning every key.
    Index(f"ix_{table.name}_user_id", table.c.user_id)
