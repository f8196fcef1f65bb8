"""Leaving and taking one's data: the personal-data export and the deletion of one's own
account (at once, or after a grace period that signing in cancels)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask
from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from .. import ConsoleState


def init_app(app: Flask, state: ConsoleState) -> None:
    """Register the sections of personal data, the pages, the sign-in receiver and the
    workers' completion of deletions whose grace period ended."""
    from ..config import ConfigError
    from ..core import actions, gates, jobs, ratelimit, sections
    from ..settings import setting
    from ..users.cli import users_cli
    from . import cli, contents, flows, models, receivers, views  # noqa: F401 - models
    from .events import ACTIONS

    mode = setting("CONSOLE_ACCOUNT_DELETION", app.config)
    if mode not in flows.MODES:
        raise ConfigError(
            f"CONSOLE_ACCOUNT_DELETION is {mode!r}: use one of {', '.join(flows.MODES)}."
        )
    actions.declare(ACTIONS)
    contents.init_app(app)
    app.register_blueprint(views.bp, url_prefix=state.url_prefix)
    # The file is mailed about.
    ratelimit.limit(app, "privacy.data", "mail")
    if mode != flows.OFF:
        app.register_blueprint(views.deletion_bp, url_prefix=state.url_prefix)
        ratelimit.limit(app, "privacy_deletion.delete_account", "mail")
    # Only the account holder in person takes a copy of their data or deletes their account
    # (never an operator impersonating them).
    gates.sensitive(app, ("privacy.data", "privacy_deletion.delete_account"))
    # Whatever the setting says now, a deletion a holder scheduled under it earlier is still
    # cancelled by their signing in, and completed when its grace period ends.
    receivers.connect(app)
    users_cli.add_command(cli.export_data_command)
    jobs.register_periodic(
        app, jobs.Periodic("privacy.deletions.complete", flows.complete_due, minute="*/15")
    )
    sections.register(
        app,
        "account",
        sections.Section(
            key="privacy",
            title=_l("Your data"),
            template="privacy/_account_section.html",
            context=views.account_section_context,
            order=90,
        ),
    )
    sections.register(
        app,
        "user",
        sections.Section(
            key="privacy",
            title=_l("Personal data"),
            template="privacy/_user_section.html",
            context=views.user_section_context,
            permission=flows.EXPORT_PERMISSION,
            order=90,
        ),
    )
