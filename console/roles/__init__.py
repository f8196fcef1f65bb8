"""Roles and permissions: the operators' role admin, its guardrails and its navigation entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask
from flask_babel import lazy_gettext as _l

from ..core.nav import NavItem, register

if TYPE_CHECKING:
    from .. import ConsoleState


def init_app(app: Flask, state: ConsoleState) -> None:
    """Add the role admin and the permissions reference under the admin URL."""
    from ..extensions import db
    from ..models import Role
    from .admin import PermissionsView, RoleAdmin

    state.admin.add_view(
        RoleAdmin(
            Role,
            db,
            name=_l("Roles"),
            endpoint="roles",
            url=f"{state.url_prefix}/admin/roles",
        )
    )
    state.admin.add_view(
        PermissionsView(
            name=_l("Permissions"),
            endpoint="permissions",
            url=f"{state.url_prefix}/admin/permissions",
        )
    )
    register(app, NavItem("admin", "roles.index_view", _l("Roles"), "roles:read", order=20))
