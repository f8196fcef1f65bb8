"""The account holder's own pages: the security center, profile, email and password."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask
from flask_babel import lazy_gettext as _l

from ..core.nav import NavItem, register

if TYPE_CHECKING:
    from .. import ConsoleState


def init_app(app: Flask, state: ConsoleState) -> None:
    """Register the pages, connect the sign-in, password and email signals, and route
    Flask-Security's sign-in and re-authentication steps through the console."""
    from ..core import actions, freshness, gates, jobs, ratelimit
    from . import models, new_device, passwords, receivers, signin, views  # noqa: F401
    from .events import ACTIONS

    actions.declare(ACTIONS)
    passwords.check_settings(app)
    # The workers forget devices unused for the new-device window on a schedule.
    jobs.register_periodic(
        app, jobs.Periodic("account.devices.purge", new_device.purge_everything, minute="17")
    )
    # The "this wasn't me" link checks a token and sends a mail.
    ratelimit.limit(app, "account.not_me", "mail")
    # It also ends every session and resets the password: the account holder's alone.
    gates.sensitive(app, ("account.not_me",))

    app.register_blueprint(views.bp, url_prefix=f"{state.url_prefix}/account")
    register(app, NavItem("account", "account.security", _l("Security"), None, order=10))
    register(app, NavItem("account", "account.profile", _l("Profile"), None, order=11))
    state.security.reauthn_handler(freshness.reauthn_handler)
    receivers.connect(app)
    signin.init_app(app, state)
