"""The dashboard: the operators' home page with figures and server-drawn charts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask
from flask_babel import lazy_gettext as _l

from ..core.nav import NavItem, register
from ..core.paths import admin_path

if TYPE_CHECKING:
    from .. import ConsoleState


def init_app(app: Flask, state: ConsoleState) -> None:
    """The dashboard page (first in the operators' navigation so that home opens it), its
    snapshot table and the `flask console dashboard` commands."""
    from ..cli import console_cli
    from ..core import jobs
    from . import models, snapshot, views  # noqa: F401 - the snapshot table
    from .cli import dashboard_cli

    app.register_blueprint(views.bp, url_prefix=admin_path(app))
    console_cli.add_command(dashboard_cli)
    # The workers keep the snapshot fresh (a recompute only once it is older than
    # CONSOLE_DASHBOARD_REFRESH, one worker at a time), and take the refreshes a view asks for.
    jobs.register_task(app, jobs.Task("dashboard.refresh", snapshot.refresh_in_background))
    jobs.register_periodic(
        app, jobs.Periodic("dashboard.refresh", snapshot.refresh_in_background, minute="*/5")
    )
    register(
        app,
        NavItem(
            "admin", "dashboard.index", _l("Dashboard"), "users:read", order=0, group="overview"
        ),
    )
