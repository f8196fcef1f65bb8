"""The account models and SQLAlchemy object the console was configured with.

Features never import a concrete model class: a host may bring its own
(`SecurityConsole(app, db=db, user_model=User, role_model=Role, webauthn_model=WebAuthn)`),
so code asks `models()` inside a function (`models().User`) and annotates with the
console's mixins (console.mixins), which every configured model carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy import SQLAlchemy

from ..config import ConfigError
from ..mixins import ConsoleRoleMixin, ConsoleUserMixin, ConsoleWebAuthnMixin


@dataclass(frozen=True, eq=False)
class Models:
    """The configured SQLAlchemy object and account models of one application."""

    db: SQLAlchemy
    User: type[Any]
    Role: type[Any]
    WebAuthn: type[Any]
    # Flask-Security's refresh-token families (fsqla v4); None with fsqla v3 models.
    RefreshTracker: type[Any] | None = None
    # The models console.models ships, whose schema the console's migrations make.
    shipped: bool = False

    @cached_property
    def roles_users(self) -> sa.Table:
        """The user-role table behind `User.roles` (Flask-Security's or the console's)."""
        secondary = sa.inspect(self.User).relationships["roles"].secondary
        if not isinstance(secondary, sa.Table):
            raise ConfigError("User.roles must be a many-to-many relationship through a table.")
        return secondary


def models() -> Models:
    """The current application's configured models."""
    return current_app.extensions["console"].models


# What each model must inherit, so that the console's columns and indexes are there.
_REQUIRED = (
    ("user_model", ConsoleUserMixin),
    ("role_model", ConsoleRoleMixin),
    ("webauthn_model", ConsoleWebAuthnMixin),
)


def check(
    db: SQLAlchemy,
    user_model: type[Any],
    role_model: type[Any],
    webauthn_model: type[Any],
    refresh_tracker_model: type[Any] | None = None,
) -> Models:
    """The models a host passed, refused with a clear error when the console cannot use them."""
    given = {"user_model": user_model, "role_model": role_model, "webauthn_model": webauthn_model}
    for argument, mixin in _REQUIRED:
        model = given[argument]
        if not isinstance(model, type) or not issubclass(model, mixin):
            raise ConfigError(
                f"{argument}={model!r} must inherit console.mixins.{mixin.__name__} "
                "(with Flask-Security's fsqla mixins, version 3 or later)."
            )
    for model in (*given.values(), refresh_tracker_model):
        if model is None:
            continue
        table = getattr(model, "__table__", None)
        # The default bind: the console's own tables go to the session's default engine.
        if table is None or table.metadata is not db.metadata:
            raise ConfigError(
                f"{model.__name__} is not a model of the SQLAlchemy object passed as db= "
                "(on its default bind): declare the models on that object."
            )
    if "roles" not in sa.inspect(user_model).relationships:
        raise ConfigError(f"{user_model.__name__} needs Flask-Security's `roles` relationship.")
    return Models(db, user_model, role_model, webauthn_model, refresh_tracker_model)
