"""An application on fsqla v4 under table names of its own, before the console: the
plain models of tests/embedding/hosts/fsqla_v4, on a SQLAlchemy object of their own."""

from __future__ import annotations

from flask_security.models import fsqla_v4 as fsqla
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Column, String

from tests.embedding.hosts import fsqla_v4 as with_console

NAMES = {
    "user_table_name": "account",
    "role_table_name": "account_group",
    "webauthn_table_name": "account_passkey",
    "refresh_table_name": "account_refresh",
}

db = SQLAlchemy()
# Declared after the console's version (imported above), which set FsModels for its own.
fsqla.FsModels.set_db_info(db, **NAMES)


class Role(db.Model, fsqla.FsRoleMixin):
    __tablename__ = "account_group"


class User(db.Model, fsqla.FsUserMixin):
    __tablename__ = "account"

    first_name = Column(String(80), nullable=True)
    last_name = Column(String(80), nullable=True)


class WebAuthn(db.Model, fsqla.FsWebAuthnMixin):
    __tablename__ = "account_passkey"


class FsRefreshTracker(db.Model, fsqla.FsRefreshTrackerMixin):
    __tablename__ = "account_refresh"


WITH_CONSOLE = with_console
