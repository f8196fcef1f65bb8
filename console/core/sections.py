"""Page sections contributed by features: the user detail page and the security center."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_login import current_user


@dataclass(frozen=True)
class Alert:
    """Something the account holder should act on, shown atop their security center;
    `level` is a Bootstrap alert kind, `key` names it in the page (data-warning)."""

    key: str
    level: str
    text: Any


def _no_alerts(user: Any) -> tuple[Alert, ...]:
    return ()


@dataclass(frozen=True)
class Section:
    """A titled part of a page: `template` is rendered with `context(user)` merged in.

    On the security center, `alerts(user)` is what the feature asks the account holder to
    act on; the page shows them atop it, in the sections' order.
    """

    key: str
    title: Any
    template: str
    context: Callable[[Any], dict[str, Any]]
    permission: str | None = None
    order: int = 100
    alerts: Callable[[Any], Iterable[Alert]] = _no_alerts


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


def alerts(page: str, user: Any) -> list[Alert]:
    """What the visible sections of `page` ask `user` to act on, in the sections' order."""
    return [alert for section in visible(page) for alert in section.alerts(user)]
