"""Page sections contributed by features: the user detail page and the security center."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_login import current_user


@dataclass(frozen=True)
class Section:
    """A titled part of a page: `template` is rendered with `context(user)` merged in."""

    key: str
    title: Any
    template: str
    context: Callable[[Any], dict[str, Any]]
    permission: str | None = None
    order: int = 100


def register(app: Flask, page: str, section: Section) -> None:
    """Add `section` to `page` ("user" for operators' user detail, "account" for users)."""
    state = app.extensions["console"]
    sections = state.user_sections if page == "user" else state.account_sections
    if all(existing.key != section.key for existing in sections):
        sections.append(section)
        sections.sort(key=lambda s: s.order)


def visible(page: str) -> list[Section]:
    """The sections of `page` the signed-in user may see."""
    state = current_app.extensions["console"]
    sections = state.user_sections if page == "user" else state.account_sections
    return [
        s for s in sections if s.permission is None or current_user.has_permission(s.permission)
    ]
