"""A registry of navigation entries; the layout and the page checks read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    """One link in the layout: `section` is "admin" (operators) or "account" (everyone)."""

    section: str
    endpoint: str
    label: Any
    permission: str | None = None
    order: int = 100
    shortcut: str | None = None
    values: dict[str, Any] = field(default_factory=dict)


def register(app: Flask, item: NavItem) -> None:
    """Add `item` to `app`'s navigation."""
    items: list[NavItem] = app.extensions["console"].nav
    if all(existing.endpoint != item.endpoint for existing in items):
        items.append(item)
        items.sort(key=lambda i: (i.section, i.order))


def visible(section: str) -> list[NavItem]:
    """The entries of `section` the signed-in user may open."""
    if not current_user.is_authenticated:
        return []
    return [
        item
        for item in current_app.extensions["console"].nav
        if item.section == section
        and (item.permission is None or current_user.has_permission(item.permission))
    ]
