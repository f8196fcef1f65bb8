"""The models the standalone console ships: Flask-Security's fsqla v4 plus the console's mixins.

Features never import these classes: they ask console.core.models for the configured ones,
which are a host's own when it brings them (SecurityConsole(db=..., user_model=...)).
"""

from __future__ import annotations

from flask_security.models import fsqla_v4 as fsqla
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer

from .core.schema import MEMBER_CREATED, member_order_index_name
from .extensions import db
from .mixins import ConsoleRoleMixin, ConsoleUserMixin, ConsoleWebAuthnMixin

# Flask-Security's mixins read the SQLAlchemy object, the table names and the association
# table from FsModels when a class is declared. set_db_info() would create its own
# roles_users table (ours replaces it), and a host's models declared before or after these
# must find FsModels as their own set_db_info() left it: the values are put back below.
_SHIPPED = {
    "db": db,
    "user_table_name": "user",
    "role_table_name": "role",
    "webauthn_table_name": "webauthn",
    "refresh_table_name": "fs_refresh",
}
_saved = {name: getattr(fsqla.FsModels, name) for name in (*_SHIPPED, "roles_users")}
for _name, _value in _SHIPPED.items():
    setattr(fsqla.FsModels, _name, _value)
# Flask-Security's association table has neither a primary key nor an index, so the
# user loader's join and every role's member list scan it. This one has both, and the
# member's creation date that orders the user list of one role (console.core.schema).
roles_users = db.Table(
    "roles_users",
    Column("user_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", Integer, ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
    Column(MEMBER_CREATED, DateTime, nullable=True),
    Index("ix_roles_users_role_id_user_id", "role_id", "user_id"),
    Index(member_order_index_name("roles_users", "role_id"), "role_id", MEMBER_CREATED, "user_id"),
)
fsqla.FsModels.roles_users = roles_users


class Role(db.Model, ConsoleRoleMixin, fsqla.FsRoleMixin):
    """A named set of permissions; `require_mfa` makes its members enrol a second factor."""

    __tablename__ = "role"


class User(db.Model, ConsoleUserMixin, fsqla.FsUserMixin):
    """An account (the secret columns are listed on ConsoleUserMixin)."""

    __tablename__ = "user"


class WebAuthn(db.Model, ConsoleWebAuthnMixin, fsqla.FsWebAuthnMixin):
    """A passkey or security key; `aaguid` names its provider (a label, never trusted)."""

    __tablename__ = "webauthn"


class FsRefreshTracker(db.Model, fsqla.FsRefreshTrackerMixin):
    """A family of API refresh tokens (Flask-Security 5.9)."""

    __tablename__ = "fs_refresh"


for _name, _value in _saved.items():
    setattr(fsqla.FsModels, _name, _value)
