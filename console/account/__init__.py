"""The account holder's own pages: the security center, profile, email and password."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask
from flask_babel import lazy_gettext as _l

from ..core.nav import NavItem, register

if TYPE_CHECKING:
    from .. import ConsoleState


def init_app(app: Flask, state: ConsoleState) -> None:
    """Register the pages, connect the password and email signals, and route
    Flask-Security's sign-in and re-authentication steps through the console."""
    from ..core import actions, freshness
    from . import receivers, signin, views
    from .events import ACTIONS

    actions.declare(ACTIONS)

    app.register_blueprint(views.bp, url_prefix=f"{state.url_prefix}/account")
    register(app, NavItem("account", "account.security", _l("Security"), None, order=10))
    register(app, NavItem("account", "account.profile", _l("Profile"), None, order=11))
    state.security.reauthn_handler(freshness.reauthn_handler)
    receivers.connect(app)
    signin.init_app(app, state)
