"""A host's models on fsqla v4 and its own SQLAlchemy object, under table names of its own
(the console's keys must follow them), with refresh-token families."""

from __future__ import annotations

from flask_security.models import fsqla_v4 as fsqla
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Column, String

from console.mixins import ConsoleRoleMixin, ConsoleUserMixin, ConsoleWebAuthnMixin

db = SQLAlchemy()
fsqla.FsModels.set_db_info(
    db,
    user_table_name="account",
    role_table_name="account_group",
    webauthn_table_name="account_passkey",
    refresh_table_name="account_refresh",
)


class Role(db.Model, ConsoleRoleMixin, fsqla.FsRoleMixin):
    __tablename__ = "account_group"


class User(db.Model, ConsoleUserMixin, fsqla.FsUserMixin):
    __tablename__ = "account"

    first_name = Column(String(80), nullable=True)
    last_name = Column(String(80), nullable=True)


class WebAuthn(db.Model, ConsoleWebAuthnMixin, fsqla.FsWebAuthnMixin):
    __tablename__ = "account_passkey"


class FsRefreshTracker(db.Model, fsqla.FsRefreshTrackerMixin):
    __tablename__ = "account_refresh"


MODELS = {
    "user_model": User,
    "role_model": Role,
    "webauthn_model": WebAuthn,
    "refresh_tracker_model": FsRefreshTracker,
}
