"""Which requests belong to the console when it shares an application with a host."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, request
from flask.blueprints import BlueprintSetupState

from ..settings import setting


def under_prefix(prefix: str, path: str | None = None) -> bool:
    """True for `prefix` itself and paths below it ("/console/x", not "/consoles")."""
    if not prefix:
        return True
    path = request.path if path is None else path
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def admin_path(app: Flask, path: str = "") -> str:
    """The path of the operators' pages (the console's prefix, then CONSOLE_ADMIN_URL), with
    `path` ("/roles") below it: every admin page is mounted through this one helper."""
    prefix = setting("CONSOLE_URL_PREFIX", app.config)
    admin = setting("CONSOLE_ADMIN_URL", app.config).rstrip("/")
    return f"{prefix}{admin}{path}" or "/"


def admin_route(bp: Blueprint, rule: str, **options: Any) -> Callable[[Any], Any]:
    """`bp.route(rule)` with `rule` below CONSOLE_ADMIN_URL, for a blueprint that also has
    pages elsewhere and is registered at the console's prefix."""

    def decorator(view: Any) -> Any:
        def add(state: BlueprintSetupState) -> None:
            admin = setting("CONSOLE_ADMIN_URL", state.app.config).rstrip("/")
            state.add_url_rule(admin + rule, view.__name__, view, **options)

        bp.record(add)
        return view

    return decorator
