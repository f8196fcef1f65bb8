"""Sessions: a server-side registry of signed-in browsers that users and operators can end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l

from ..core import gates, links, sections
from ..core.nav import NavItem, register
from ..core.paths import admin_path

if TYPE_CHECKING:
    from .. import ConsoleState


def init_app(app: Flask, state: ConsoleState) -> None:
    """Install the registry check, the pages, the admin view, the CLI and the demo data."""
    from ..core import actions, jobs
    from . import admin, cli, demo, flows, guard, labels, models, receivers, views  # noqa: F401
    from .events import ACTIONS

    actions.declare(ACTIONS)
    # The workers delete dead session records on a schedule (a process without workers
    # deletes a few now and then after a response: console.sessions.guard).
    jobs.register_periodic(app, jobs.Periodic("sessions.purge", flows.purge_everything))

    guard.init_app(app, state.url_prefix)
    app.add_template_global(labels.device_label, "session_device")
    app.add_template_global(labels.method_label, "session_method")
    receivers.init_app(app)
    app.register_blueprint(views.bp, url_prefix=f"{state.url_prefix}/account/sessions")
    state.admin.add_view(
        admin.SessionsAdmin(
            name=str(_l("Sessions")),
            endpoint=admin.ENDPOINT,
            url=admin_path(app, "/sessions"),
        )
    )
    register(app, NavItem("account", "sessions.mine", _l("Your sessions"), None, order=30))
    # Ending one's own sessions and tokens is the account holder's alone.
    gates.sensitive(app, ("sessions.end", "sessions.end_others", "sessions.revoke_token"))
    links.register(app, "account.sessions", lambda: url_for("sessions.mine"))
    register(
        app,
        NavItem(
            "admin",
            f"{admin.ENDPOINT}.index",
            _l("Sessions"),
            "sessions:read",
            order=30,
            shortcut="g s",
            group="access",
        ),
    )
    sections.register(
        app,
        "user",
        sections.Section(
            key="sessions",
            title=_l("Sessions"),
            template="sessions/_user_section.html",
            context=admin.user_section_context,
            permission="sessions:read",
            order=40,
        ),
    )
    from ..cli import console_cli

    # `flask console sessions purge`: the group is shared, adding the same command is a no-op.
    console_cli.add_command(cli.sessions_cli)
    state.demo_seeders.append(demo.seed_sessions)
