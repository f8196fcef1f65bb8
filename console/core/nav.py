"""A registry of navigation entries; the layout and the page checks read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user

# The operator side navigation's groups, in the order they are shown; an entry names its
# group by key, and an entry without a known group is shown last, under "More".
GROUPS: tuple[tuple[str, Any], ...] = (
    ("overview", _l("Overview")),
    ("people", _l("People")),
    ("access", _l("Access")),
    ("security", _l("Security")),
    ("audit", _l("Audit")),
)
OTHER_GROUP = ("more", _l("More"))


@dataclass(frozen=True)
class NavItem:
    """One link in the layout: `section` is "admin" (operators) or "account" (everyone);
    `group` places an operator entry in a group of the side navigation (see GROUPS)."""

    section: str
    endpoint: str
    label: Any
    permission: str | None = None
    order: int = 100
    shortcut: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    group: str | None = None


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


@dataclass(frozen=True)
class NavGroup:
    """A titled run of entries in the side navigation."""

    key: str
    label: Any
    items: list[NavItem]


def grouped(section: str) -> list[NavGroup]:
    """The visible entries of `section` by group, in GROUPS order; empty groups left out."""
    items = visible(section)
    known = [key for key, _label in GROUPS]
    result = [
        NavGroup(key, label, [item for item in items if item.group == key]) for key, label in GROUPS
    ]
    rest = [item for item in items if item.group not in known]
    result.append(NavGroup(OTHER_GROUP[0], OTHER_GROUP[1], rest))
    return [group for group in result if group.items]
