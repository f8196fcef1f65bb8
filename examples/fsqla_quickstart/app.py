"""The same application with the console added: what changed is marked "console".

flask --app examples.fsqla_quickstart.app console adopt   # once, on the existing database
flask --app examples.fsqla_quickstart.app run --port 5002
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_security.models import fsqla_v3 as fsqla
from flask_sqlalchemy import SQLAlchemy

from console import (
    HostPermission,
    HostUserField,
    SecurityConsole,
    declare_permissions,
    declare_user_fields,
)
from console.mixins import ConsoleRoleMixin, ConsoleUserMixin, ConsoleWebAuthnMixin

from . import settings, views

db = SQLAlchemy()
fsqla.FsModels.set_db_info(db)


class Role(db.Model, ConsoleRoleMixin, fsqla.FsRoleMixin):  # console: + ConsoleRoleMixin
    pass


class User(db.Model, ConsoleUserMixin, fsqla.FsUserMixin):  # console: + ConsoleUserMixin
    first_name = db.Column(db.String(80))
    last_name = db.Column(db.String(80))

    def get_security_payload(self) -> dict[str, Any]:
        # In Flask-Security's JSON responses (sign-in, /me) next to what it sends itself.
        return {
            **super().get_security_payload(),
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
        }


class WebAuthn(db.Model, ConsoleWebAuthnMixin, fsqla.FsWebAuthnMixin):  # console: + mixin
    pass


# console: the permissions the application's routes check, so that operators can grant them.
PERMISSIONS = [
    HostPermission("admin-read", "Read the administration pages", group="Quickstart"),
    HostPermission("admin-write", "Change the application's settings", group="Quickstart"),
    HostPermission("user-read", "Read the members' area", group="Quickstart"),
    HostPermission("user-write", "Write in the members' area", group="Quickstart"),
]

# console: the application's own profile columns, editable on the console's user pages.
USER_FIELDS = [HostUserField("first_name", "First name"), HostUserField("last_name", "Last name")]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The application with the console under /console (its sign-in: /console/login)."""
    app = Flask(__name__)
    settings.configure(app, config)
    db.init_app(app)
    # console: replaces Security(app, datastore), which the console sets up on these models
    # with the settings above; Flask-Security is app.extensions["security"].
    SecurityConsole(
        app,
        url_prefix="/console",
        db=db,
        user_model=User,
        role_model=Role,
        webauthn_model=WebAuthn,
    )
    declare_permissions(app, PERMISSIONS)
    declare_user_fields(app, USER_FIELDS)
    app.security = app.extensions["security"]
    views.register(app)
    return app
