"""Roles and permissions: the operators' role admin, its guardrails and its navigation entry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l

from ..core import links
from ..core.nav import NavItem, register
from ..core.paths import admin_path

if TYPE_CHECKING:
    from .. import ConsoleState


def init_app(app: Flask, state: ConsoleState) -> None:
    """Add the role admin and the permissions reference under the admin URL."""
    from ..core import actions
    from .admin import PermissionsView, RoleAdmin
    from .events import ACTIONS

    actions.declare(ACTIONS)

    state.admin.add_view(
        RoleAdmin(name=_l("Roles"), endpoint="roles", url=admin_path(app, "/roles"))
    )
    state.admin.add_view(
        PermissionsView(
            name=_l("Permissions"),
            endpoint="permissions",
            url=admin_path(app, "/permissions"),
        )
    )
    links.register(app, "role", _role_url)
    register(
        app,
        NavItem("admin", "roles.index_view", _l("Roles"), "roles:read", order=20, group="access"),
    )


def _role_url(role: Any) -> str:
    return url_for("roles.details_view", id=links.object_id(role))
