"""How events read on the audit pages: the action's label and description (from the
catalogue in core.actions), the subject (an account or a role), the device."""

from __future__ import annotations

import json
from typing import Any

from ..core import actions
from ..sessions.labels import device_label


def label(action: str) -> Any:
    """The readable name of `action` (the dotted verb when nobody declared it)."""
    return actions.label(action)


def description(action: str) -> Any:
    """The one-line description of `action` ("" when nobody declared it)."""
    return actions.description(action)


def is_labelled(action: str) -> bool:
    """True when `action` has a label of its own (so the code need not stand in for it)."""
    return actions.find(action) is not None


def role_subject(event: Any) -> str | None:
    """The role an event without an account subject is about ("admin.role.created" ...)."""
    if event.subject_id is not None or event.subject_email:
        return None
    role = parsed(event.details).get("role")
    return str(role) if isinstance(role, str) and role else None


def device(user_agent: str | None) -> str:
    """'Firefox 128 on Windows 10' for a stored user agent; '' when none was recorded."""
    return device_label(user_agent) if user_agent else ""


def parsed(details: str | None) -> dict[str, Any]:
    """An event's details as a dict (empty when unreadable)."""
    try:
        value = json.loads(details or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def changes(details: str | None) -> list[tuple[str, Any, Any]]:
    """The (field, before, after) rows of an edit's diff."""
    found = parsed(details).get("changes")
    if not isinstance(found, dict):
        return []
    rows = []
    for name, pair in sorted(found.items()):
        before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        rows.append((name, before, after))
    return rows
