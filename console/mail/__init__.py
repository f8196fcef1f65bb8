"""Mail: SMTP from configuration, or a development outbox stored in the database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask
from flask_babel import lazy_gettext as _l

from ..core.nav import NavItem, register
from ..core.paths import admin_path
from ..settings import setting

if TYPE_CHECKING:
    from .. import ConsoleState


def init_app(app: Flask, state: ConsoleState) -> None:
    """Mail held until its change commits, the retry command, and the outbox page when
    the outbox is in use (the backend is chosen at start-up)."""
    from ..cli import console_cli
    from ..core import notify
    from . import views
    from .cli import mail_cli

    notify.init_app(app)
    console_cli.add_command(mail_cli)

    if setting("CONSOLE_MAIL_OUTBOX", app.config):
        app.register_blueprint(views.bp, url_prefix=admin_path(app, "/outbox"))
        register(
            app, NavItem("admin", "mail.outbox", _l("Outbox"), "mail:read", order=90, group="audit")
        )
