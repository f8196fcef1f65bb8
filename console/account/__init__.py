"""The account holder's own pages: the security center, profile, and second factors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask
from flask_babel import lazy_gettext as _l

from ..core.nav import NavItem, register

if TYPE_CHECKING:
    from .. import ConsoleState

# Flask-Security's default destination after a two-factor change is its setup page again.
_FS_POST_SETUP_DEFAULT = ".two_factor_setup"


def init_app(app: Flask, state: ConsoleState) -> None:
    """Register the pages, connect the signals, and route Flask-Security's two-factor
    and re-authentication steps through the console."""
    from ..core import actions, freshness
    from . import receivers, signin, views
    from .events import ACTIONS

    actions.declare(ACTIONS)

    app.register_blueprint(views.bp, url_prefix=f"{state.url_prefix}/account")
    register(app, NavItem("account", "account.security", _l("Security"), None, order=10))
    register(app, NavItem("account", "account.profile", _l("Profile"), None, order=11))
    if app.config.get("SECURITY_TWO_FACTOR_POST_SETUP_VIEW") == _FS_POST_SETUP_DEFAULT:
        app.config["SECURITY_TWO_FACTOR_POST_SETUP_VIEW"] = "account.factor_added"
    state.security.reauthn_handler(freshness.reauthn_handler)
    app.before_request(views.recovery_codes_guard)
    app.add_template_filter(views.b64encode, "b64encode")
    receivers.connect(app)
    signin.init_app(app, state)
