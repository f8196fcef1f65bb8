"""Users: the operators' list, detail, invitations, edits and actions on accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask
from flask_babel import lazy_gettext as _l

from ..core.nav import NavItem, register

if TYPE_CHECKING:
    from .. import ConsoleState


def init_app(app: Flask, state: ConsoleState) -> None:
    """Register the admin view, its navigation entry and the sign-in consequences."""
    from ..cli import console_cli
    from ..extensions import db
    from ..models import User
    from . import cli, enforce
    from .admin import UserAdmin

    state.admin.add_view(UserAdmin(User, db, name=_l("Users"), endpoint="users", url="users"))
    register(
        app,
        NavItem("admin", "users.index_view", _l("Users"), "users:read", order=10, shortcut="g u"),
    )
    enforce.init_app(app)
    console_cli.add_command(cli.users_cli)
