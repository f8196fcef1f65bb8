"""Background jobs on Huey: stored in the console's own table, run in batches that each
commit, resumable, cancellable, shown to operators; `flask console worker` runs them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l

from ..core import links
from ..core.nav import NavItem, register
from ..core.paths import admin_path

if TYPE_CHECKING:
    from .. import ConsoleState


def init_app(app: Flask, state: ConsoleState) -> None:
    """The queue, the job table, the jobs page and the `flask console worker` and `jobs`
    commands."""
    from ..cli import console_cli
    from ..core import actions
    from ..core import jobs as job_kinds
    from . import cli, flows, labels, models  # noqa: F401 - the job tables
    from .admin import ENDPOINT, JobsAdmin
    from .events import ACTIONS
    from .queue import JobQueue

    actions.declare(ACTIONS)
    state.jobs = JobQueue(app)
    # Every five minutes: resume interrupted jobs, forget old ones.
    job_kinds.register_periodic(app, job_kinds.Periodic("check_jobs", flows.check))
    state.admin.add_view(
        JobsAdmin(name=str(_l("Jobs")), endpoint=ENDPOINT, url=admin_path(app, "/jobs"))
    )
    app.add_template_global(labels.state_label, "job_state_label")
    app.add_template_global(labels.state_badge, "job_state_badge")
    # Every kind the console ships is about accounts (users:read sees them); the page itself
    # opens to holders of any registered kind's permission.
    register(
        app,
        NavItem("admin", f"{ENDPOINT}.index", _l("Jobs"), "users:read", order=5, group="overview"),
    )
    links.register(
        app, "job", lambda job: url_for(f"{ENDPOINT}.job_view", job_id=links.object_id(job))
    )
    console_cli.add_command(cli.worker_command)
    console_cli.add_command(cli.jobs_cli)
