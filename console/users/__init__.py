"""Users: the operators' list, detail, invitations, edits and actions on accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l

from ..core import links, ratelimit
from ..core.nav import NavItem, register
from ..core.paths import admin_path

if TYPE_CHECKING:
    from .. import ConsoleState


def init_app(app: Flask, state: ConsoleState) -> None:
    """Register the admin view, its navigation entry and the sign-in consequences."""
    from ..cli import console_cli
    from ..core import actions
    from ..core import jobs as job_kinds
    from . import bulk, cli, enforce, invitations
    from .admin import UserAdmin
    from .events import ACTIONS

    actions.declare(ACTIONS)

    state.admin.add_view(
        UserAdmin(name=_l("Users"), endpoint="users", url=admin_path(app, "/users"))
    )
    links.register(app, "user", _user_url)
    # Operator actions that send mail (an invitation, a password reset).
    for endpoint in ("users.new_view", "users.invite_view", "users.run_action_view"):
        ratelimit.limit(app, endpoint, "operator_mail")
    register(
        app,
        NavItem(
            "admin",
            "users.index_view",
            _l("Users"),
            "users:read",
            order=10,
            shortcut="g u",
            group="people",
        ),
    )
    enforce.init_app(app)
    invitations.init_app(app, state)
    # "Every matching user": a bulk action over a filter, run as a background job.
    job_kinds.register(app, bulk.job_kind())
    console_cli.add_command(cli.users_cli)


def _user_url(user: Any) -> str:
    return url_for("users.user_view", user_id=links.object_id(user))
