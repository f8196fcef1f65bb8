"""Mail: SMTP from configuration, or a development outbox stored in the database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask
from flask_babel import lazy_gettext as _l

from ..core.nav import NavItem, register

if TYPE_CHECKING:
    from .. import ConsoleState


def init_app(app: Flask, state: ConsoleState) -> None:
    """Add the outbox page when the outbox is in use (the backend is chosen at start-up)."""
    from . import views

    if app.config["CONSOLE_MAIL_OUTBOX"]:
        app.register_blueprint(views.bp, url_prefix=f"{state.url_prefix}/outbox")
        register(app, NavItem("admin", "mail.outbox", _l("Outbox"), "mail:read", order=90))
