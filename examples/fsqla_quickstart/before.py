"""The application before the console: Flask-Security's quickstart, as a team has it today.

flask --app examples.fsqla_quickstart.before seed   # schema, roles, the first accounts
flask --app examples.fsqla_quickstart.before run
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask_security import Security, SQLAlchemyUserDatastore, hash_password
from flask_security.models import fsqla_v3 as fsqla
from flask_sqlalchemy import SQLAlchemy

from . import settings, views

db = SQLAlchemy()
fsqla.FsModels.set_db_info(db)


class Role(db.Model, fsqla.FsRoleMixin):
    pass


class User(db.Model, fsqla.FsUserMixin):
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


class WebAuthn(db.Model, fsqla.FsWebAuthnMixin):
    pass


ROLES = {
    "admin": ["admin-read", "admin-write", "user-read", "user-write"],
    "user": ["user-read", "user-write"],
}
# email: (password, first name, last name, roles)
ACCOUNTS = {
    "admin@me.com": ("admin password 1", "Ada", "Admin", ["admin"]),
    "user@me.com": ("user password 1", "Uma", "User", ["user"]),
    "totp@me.com": ("totp password 1", "Tom", "Totp", ["user"]),
    "passkey@me.com": ("passkey password 1", "Pat", "Passkey", ["user"]),
    "guest@me.com": ("guest password 1", "Gus", "Guest", []),
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The application with Flask-Security set up by hand."""
    app = Flask(__name__)
    settings.configure(app, config)
    db.init_app(app)
    app.security = Security(app, SQLAlchemyUserDatastore(db, User, Role, WebAuthn))
    views.register(app)
    app.cli.add_command(seed_command)
    return app


def seed(app: Flask) -> None:
    """The team's one-time set-up: the schema, the roles and the first accounts."""
    security = app.security
    with app.app_context():
        db.create_all()
        for name, permissions in ROLES.items():
            security.datastore.find_or_create_role(name=name, permissions=permissions)
        for email, (password, first, last, roles) in ACCOUNTS.items():
            if not security.datastore.find_user(email=email):
                security.datastore.create_user(
                    email=email,
                    password=hash_password(password),
                    first_name=first,
                    last_name=last,
                    roles=roles,
                )
        db.session.commit()


def set_up_authenticator(app: Flask, email: str) -> tuple[str, list[str]]:
    """What /tf-setup does for `email`: a TOTP secret and recovery codes; returns the
    authenticator's key (base32) and the codes."""
    security = app.security
    with app.app_context():
        user = security.datastore.find_user(email=email)
        secret = security.totp_factory.generate_totp_secret()
        security.datastore.tf_set(user, "authenticator", totp_secret=secret)
        codes = security.mf_recovery_codes_util.create_recovery_codes(user)
        db.session.commit()
        return security.totp_factory.get_totp_b32_key(secret), codes


@click.command("seed")
def seed_command() -> None:
    """Create the schema, the roles and the first accounts."""
    from flask import current_app

    seed(current_app)
    click.echo(f"Created the roles {', '.join(ROLES)} and {len(ACCOUNTS)} accounts.")
