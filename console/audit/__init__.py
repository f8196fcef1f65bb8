"""The audit trail: keyed, chained security events, the operators' view and a user's activity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l

from ..core import links, sections
from ..core.nav import NavItem, register

if TYPE_CHECKING:
    from .. import ConsoleState


def init_app(app: Flask, state: ConsoleState) -> None:
    """Tables, receivers, pages, the activity section, the CLI group and demo events."""
    from ..cli import console_cli
    from ..core import actions, jobs
    from . import flows, labels, receivers, recorder, views
    from .cli import audit_cli
    from .demo import seed_events
    from .events import ACTIONS

    actions.declare(ACTIONS)
    # CONSOLE_AUDIT_RETENTION applied every night by the workers (and by `audit purge`).
    jobs.register_periodic(
        app, jobs.Periodic("audit.purge", flows.purge_expired, minute="23", hour="3")
    )
    # A signed checkpoint of the chain outside the database (the log, and the file when set).
    jobs.register_periodic(
        app, jobs.Periodic("audit.checkpoint", flows.checkpoint_periodically, minute="*/15")
    )

    # Order matters: after_request runs last-registered first, so a leftover sign-in
    # attempt is recorded before the leftover events are committed.
    recorder.init_app(app)
    receivers.connect(app)

    app.add_template_global(labels.label, "audit_action_label")
    app.add_template_global(labels.description, "audit_action_description")
    app.add_template_global(labels.is_labelled, "audit_action_labelled")
    app.add_template_global(labels.role_subject, "audit_role_subject")
    app.add_template_global(labels.device, "audit_device")
    app.add_template_global(labels.changes, "audit_changes")
    app.add_template_global(labels.parsed, "audit_details")
    app.register_blueprint(views.bp, url_prefix=state.url_prefix or None)
    register(
        app,
        NavItem(
            "admin",
            "audit.index",
            _l("Audit"),
            "audit:read",
            order=50,
            shortcut="g a",
            group="audit",
        ),
    )
    register(app, NavItem("account", "audit.activity", _l("Activity"), None, order=40))
    links.register(app, "account.activity", lambda: url_for("audit.activity"))
    sections.register(
        app,
        "user",
        sections.Section(
            key="activity",
            title=_l("Activity"),
            template="audit/_user_section.html",
            context=views.user_section_context,
            permission="audit:read",
            order=50,
        ),
    )
    console_cli.add_command(audit_cli)
    state.demo_seeders.append(seed_events)
