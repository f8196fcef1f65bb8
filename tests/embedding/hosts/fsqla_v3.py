"""A host's models on fsqla v3 and its own SQLAlchemy object, with Flask-SQLAlchemy's
default table names (user, role, web_authn) and columns of the host's own."""

from __future__ import annotations

from flask_security.models import fsqla_v3 as fsqla
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Column, String

from console.mixins import ConsoleRoleMixin, ConsoleUserMixin, ConsoleWebAuthnMixin

db = SQLAlchemy()
fsqla.FsModels.set_db_info(db)


class Role(db.Model, ConsoleRoleMixin, fsqla.FsRoleMixin):
    pass


class User(db.Model, ConsoleUserMixin, fsqla.FsUserMixin):
    first_name = Column(String(80), nullable=True)
    last_name = Column(String(80), nullable=True)


class WebAuthn(db.Model, ConsoleWebAuthnMixin, fsqla.FsWebAuthnMixin):
    pass


MODELS = {"user_model": User, "role_model": Role, "webauthn_model": WebAuthn}
