"""Reading the console events a test captured (the root `events` fixture's dicts)."""

from __future__ import annotations

from typing import Any


def actions(events: list[dict[str, Any]]) -> list[str]:
    """The action names, in the order they were emitted."""
    return [event["action"] for event in events]


def flat(events: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(action, details with the actor and subject folded in), for tests about details."""
    return [
        (
            event["action"],
            {"actor": event["actor"], "subject": event["subject"], **event["details"]},
        )
        for event in events
    ]
