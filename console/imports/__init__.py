"""CSV import of user accounts: upload, a dry run's preview, then a background job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l

from ..core import links, ratelimit
from ..core.paths import admin_path

if TYPE_CHECKING:
    from .. import ConsoleState


def init_app(app: Flask, state: ConsoleState) -> None:
    """The import pages (linked from the users list), the job kinds (apply, and check a long
    file) and `flask console users import`."""
    from ..core import actions
    from ..core import jobs as job_kinds
    from ..users.cli import users_cli
    from . import cli, flows, models  # noqa: F401 - the upload tables
    from .admin import ENDPOINT, ImportAdmin
    from .events import ACTIONS

    actions.declare(ACTIONS)
    state.admin.add_view(
        ImportAdmin(
            name=str(_l("Import users")), endpoint=ENDPOINT, url=admin_path(app, "/users/import")
        )
    )
    links.register(app, "users.import", lambda: url_for(f"{ENDPOINT}.index"))
    # Applying may mail an invitation to every account created.
    ratelimit.limit(app, f"{ENDPOINT}.apply_view", "operator_mail")
    job_kinds.register(app, flows.job_kind())
    job_kinds.register(app, flows.check_kind())
    users_cli.add_command(cli.import_command)
